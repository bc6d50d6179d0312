/** Databases, traffic and exposition parsing for the monitoring tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatStreams, createDatabase, Messages, type BotDbPlugin, type Database } from '@botdb/core';
import type { Registry } from 'prom-client';
import { MonitoringPlugin, type MonitoringPluginOptions } from '../../src/index.js';
import { FakeBatchPlugin, FakeCachePlugin, FakeRwSplitPlugin, ThrowingPlugin } from './fakes.js';

/** A fresh temporary directory; `remove()` deletes it and everything in it. */
export function tempDir(prefix = 'botdb-monitoring-'): { path: string; file(name: string): string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, file: (name) => join(path, name), remove: () => rmSync(path, { recursive: true, force: true }) };
}

let opened = 0;

/** Opens a SQLite database file in `dir` with `plugins`. */
export function openDb(dir: { file(name: string): string }, plugins: BotDbPlugin[]): Promise<Database> {
  return createDatabase({ url: `sqlite:${dir.file(`db-${++opened}.db`)}`, plugins });
}

/** A chat stream row with the required columns. */
export function stream(id: string): Record<string, unknown> {
  return { stream_id: id, platform: 'qq', create_time: 1, last_active_time: 1, user_platform: 'qq', user_id: 'u1', user_nickname: 'n' };
}

/** A database with monitoring and every fake plugin it observes. */
export async function openFullyMonitored(dir: { file(name: string): string }, options: MonitoringPluginOptions = {}) {
  const cache = new FakeCachePlugin();
  const batch = new FakeBatchPlugin();
  const rw = new FakeRwSplitPlugin();
  const db = await openDb(dir, [new MonitoringPlugin({ slowStatementMs: 0, logger: () => {}, ...options }), cache, batch, rw, new ThrowingPlugin()]);
  return { db, cache, batch, rw };
}

/** Runs one of every kind of traffic, so that every metric has a series. */
export async function allTraffic(db: Database, tag = 'x'): Promise<void> {
  await db.create(ChatStreams, stream(`${tag}-1`) as never);
  await db.get(ChatStreams, { filters: { stream_id: `${tag}-1` }, single: true });
  await db.count(Messages);
  await db.get(ChatStreams, { fakeCache: 'l1' });
  await db.get(ChatStreams, { fakeCache: 'l2' });
  await db.get(ChatStreams, { fakeReplica: true });
  await db.update(ChatStreams, { stream_id: `${tag}-1` }, { last_active_time: 2 }, { fakeBatch: true });
  await db.update(ChatStreams, { stream_id: `${tag}-1` }, { last_active_time: 3 }, { fakeBatch: 'fail' }).catch(() => undefined);
  await db.session(async (em) => {
    await em.find(ChatStreams, {});
  });
  await db.get(ChatStreams, { fakeThrow: true }).catch(() => undefined);
  // A duplicate unique key: the database rejects the statement; the app reports the error.
  await db.create(ChatStreams, stream(`${tag}-1`) as never).catch((e: unknown) => MonitoringPlugin.recordError(db, e));
}

/** One sample of the text exposition. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text format (as prom-client writes it) into samples. */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = (v as string).replace(/\\(.)/g, '$1');
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** The metric families (`# TYPE` lines) of an exposition: name -> type. */
export function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

/** The samples of `registry` now. */
export async function samples(registry: Registry): Promise<Sample[]> {
  return parseExposition(await registry.metrics());
}

/** The sum of the samples named `name` whose labels include `labels`; undefined when none match. */
export function valueOf(all: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const hits = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.length === 0 ? undefined : hits.reduce((a, s) => a + s.value, 0);
}

/** The value of one metric of `db`'s registry now (see `valueOf`). */
export async function metric(db: Database, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number | undefined> {
  return valueOf(await samples(MonitoringPlugin.getRegistry(db)), name, labels);
}
