/**
 * One simulation: open the database with the chosen plugins, seed the world, drive traffic,
 * close (draining plugins), and check that the database holds exactly what was acknowledged.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BotDbConfig, Database } from '@botdb/core';
import type { SimOptions } from './options.js';
import { PLUGIN_NAMES, activePlugins, batchingRate, cacheHitRate, checkPluginNames, makePlugins, pluginAvailability, pluginStats, type PluginName } from './plugins.js';
import { closeTurnDatabase, countTables, countTablesFresh, openTurnDatabase, type TableCounts, type TurnTable } from './run/database.js';
import { TrafficDriver, type DriveResult, type DriveSnapshot } from './run/drive.js';
import { LatencyRecorder, percentilesOf, type Percentiles } from './run/latency.js';
import { isTransactionControl } from './run/statements.js';
import { chatTurn, emptyWriteCounts, type WriteCounts } from './turn.js';
import { seedWorld, type SeedCounts } from './world/seed.js';
import { World } from './world/world.js';

/** The read operations of a turn (for the seed plan's read-latency target). */
export const READ_OPS = ['stream.get', 'person.get', 'recent.get', 'emoji.get'] as const;

/** One line of the consistency check. */
export interface ConsistencyLine {
  readonly what: string;
  readonly expected: number;
  readonly actual: number;
  readonly ok: boolean;
}

/** Everything a simulation measured. */
export interface SimReport {
  readonly options: Readonly<SimOptions>;
  readonly dialect: 'sqlite' | 'postgresql';
  /** Where the data was, for display (temp files say so). */
  readonly where: string;
  readonly plugins: { readonly active: PluginName[]; readonly unavailable: Record<string, string>; readonly off: PluginName[] };
  readonly metricsUrl: string | undefined;
  readonly seeded: SeedCounts;
  readonly seedMs: number;
  readonly drive: DriveResult;
  /** Traffic was stopped before `durationS` by the caller's signal (SIGINT/SIGTERM). */
  readonly stoppedEarly: boolean;
  readonly ops: Record<string, Percentiles>;
  readonly reads: Percentiles;
  readonly writes: WriteCounts;
  readonly statements: { readonly total: number; readonly failed: number };
  /** Reads by the layer that answered them (`db`, or a plugin's layer such as `l1`). */
  readonly answeredBy: Record<string, number>;
  readonly hitRate: number | undefined;
  /**
   * Share of the key lookups (chat stream, person, emoji) answered without the database: over
   * the whole run, and after the warm-up (the first 20 % of the run, at most 5 s, when first
   * lookups of each key fill the cache). Undefined without the cache.
   */
  readonly lookupHitRate: { readonly all: number; readonly warm: number } | undefined;
  readonly batchingRate: number | undefined;
  readonly pluginStats: Partial<Record<PluginName, Readonly<Record<string, unknown>>>>;
  readonly closeMs: number;
  readonly consistency: readonly ConsistencyLine[];
  readonly errorSamples: readonly string[];
}

/** The entities a turn looks up by key (its other read, the recent messages, is a list the cache keeps up to date). */
const LOOKUP_ENTITIES = new Set(['ChatStreams', 'PersonInfo', 'Emoji']);

/** Hooks for the caller: progress lines and notices. */
export interface SimIo {
  readonly notice: (message: string) => void;
  /** Called about once a second while traffic runs. */
  readonly progress?: (snap: DriveSnapshot, db: Database) => void;
  /** Called once the database is open and seeded, before traffic. */
  readonly ready?: (info: { db: Database; metricsUrl: string | undefined; active: PluginName[]; unavailable: Record<string, string>; seeded: SeedCounts; seedMs: number }) => void;
  readonly signal?: AbortSignal;
}

function describeUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** Runs one simulation. */
export async function runSimulation(options: Readonly<SimOptions>, io: SimIo): Promise<SimReport> {
  const wanted: PluginName[] = options.plugins === 'all' ? [...PLUGIN_NAMES] : checkPluginNames(options.plugins);
  const availability = await pluginAvailability(wanted);
  const unavailable: Record<string, string> = {};
  for (const [name, ok] of Object.entries(availability)) if (ok !== true) unavailable[name] = ok;
  const plugins = await makePlugins(wanted, { monitoring: { port: options.metricsPort }, notice: io.notice });

  const temp = options.db === undefined ? join(tmpdir(), `botdb-chat-sim-${process.pid}-${Date.now().toString(36)}.db`) : undefined;
  const url = temp !== undefined ? `sqlite:${temp}` : options.db!;
  const config: BotDbConfig = { url, postgresql: { schema: options.pgSchema }, warn: (m) => io.notice(`[botdb] ${m}`) };
  const errorSamples: string[] = [];
  const compatErrors = { count: 0 };
  const db = await openTurnDatabase({ ...config, plugins }, {
    error: (message, error) => {
      compatErrors.count++;
      if (errorSamples.length < 5) errorSamples.push(`${message}: ${error instanceof Error ? error.message : String(error ?? '')}`);
    },
  });
  const active = activePlugins(db);
  const off = PLUGIN_NAMES.filter((p) => !wanted.includes(p));
  const metricsUrl = active.includes('monitoring') ? `http://127.0.0.1:${options.metricsPort}/metrics` : undefined;
  let closed = false;
  try {
    const world = new World(options);
    const streamIds = world.chats.map((c) => c.streamId);
    const seedStart = performance.now();
    const seeded = await seedWorld(db, world);
    const seedMs = performance.now() - seedStart;
    const before = await countTables(db, streamIds);
    io.ready?.({ db, metricsUrl, active, unavailable, seeded, seedMs });

    // Observe: every statement (the query hook) and who answered each read (afterRead).
    const statements = { total: 0, failed: 0 };
    db.pipeline.hooks.query.tap('chat-sim', (e) => {
      if (isTransactionControl(e.sql)) return;
      statements.total++;
      if (e.failed) statements.failed++;
    });
    const answeredBy: Record<string, number> = {};
    const lookups = { all: { hit: 0, total: 0 }, warm: { hit: 0, total: 0 } };
    const warmFrom = performance.now() + Math.min(5000, options.durationS * 200);
    db.pipeline.hooks.afterRead.tap('chat-sim', (ctx, result) => {
      answeredBy[result.source] = (answeredBy[result.source] ?? 0) + 1;
      if (!LOOKUP_ENTITIES.has(ctx.entity.name)) return;
      const hit = result.source !== 'db' ? 1 : 0;
      lookups.all.hit += hit;
      lookups.all.total++;
      if (performance.now() >= warmFrom) {
        lookups.warm.hit += hit;
        lookups.warm.total++;
      }
    });

    const rec = new LatencyRecorder();
    const writes = emptyWriteCounts();
    const floors = new Map<string, number>();
    const driver = new TrafficDriver({
      mode: options.mode,
      rate: options.rate,
      concurrency: options.concurrency,
      durationMs: options.durationS * 1000,
      next: () => world.next(),
      turn: (ev, r, w) => chatTurn(db, ev, r, w, { recentLimit: options.recentLimit, floors }),
      rec,
      writes,
      signal: io.signal,
      onError: (e) => {
        if (errorSamples.length < 5) errorSamples.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      },
    });
    const timer = io.progress ? setInterval(() => io.progress!(driver.snapshot(), db), 1000) : undefined;
    let drive: DriveResult;
    try {
      drive = await driver.run();
    } finally {
      if (timer) clearInterval(timer);
    }

    const statsBefore = { cache: pluginStats(db, 'cache'), batch: pluginStats(db, 'batch'), hit: cacheHitRate(db), batching: batchingRate(db) };
    const closeStart = performance.now();
    await closeTurnDatabase(db);
    closed = true;
    const closeMs = performance.now() - closeStart;
    // Stats after the drain include the writes it flushed; fall back to the last live reading.
    const stats: SimReport['pluginStats'] = {};
    for (const name of active) {
      const s = pluginStats(db, name) ?? (name === 'cache' ? statsBefore.cache : name === 'batch' ? statsBefore.batch : undefined);
      if (s) stats[name] = s;
    }
    const hitRate = cacheHitRate(db) ?? statsBefore.hit;
    const batching = batchingRate(db) ?? statsBefore.batching;

    const after = await countTablesFresh(config, streamIds);
    const ops = rec.summary();
    const readSamples: number[] = [];
    for (const op of READ_OPS) {
      const s = rec.samples(op);
      if (s) for (const v of s.values()) readSamples.push(v);
    }
    return {
      options,
      dialect: db.config.dialect,
      where: temp !== undefined ? `temp file ${temp}${options.keep ? ' (kept)' : ' (removed at the end)'}` : describeUrl(url) + (db.config.dialect === 'postgresql' ? ` schema ${options.pgSchema}` : ''),
      plugins: { active, unavailable, off },
      metricsUrl,
      seeded,
      seedMs,
      drive,
      stoppedEarly: io.signal?.aborted === true,
      ops,
      reads: percentilesOf(readSamples),
      writes,
      statements,
      answeredBy,
      hitRate,
      lookupHitRate: active.includes('cache') && lookups.all.total > 0 ? { all: lookups.all.hit / lookups.all.total, warm: lookups.warm.total > 0 ? lookups.warm.hit / lookups.warm.total : Number.NaN } : undefined,
      batchingRate: batching,
      pluginStats: stats,
      closeMs,
      consistency: consistency(before, after, writes),
      errorSamples,
    };
  } finally {
    if (!closed) await closeTurnDatabase(db).catch(() => undefined);
    if (temp !== undefined && !options.keep) for (const f of [temp, `${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true });
  }
}

function consistency(before: TableCounts, after: TableCounts, w: WriteCounts): ConsistencyLine[] {
  const expected: Record<TurnTable, number> = { messages: w.messages, llm_usage: w.llmUsage, action_records: w.actions, chat_streams: 0, person_info: 0, emoji: 0 };
  const lines: ConsistencyLine[] = Object.entries(expected).map(([table, exp]) => {
    const actual = after.rows[table as TurnTable] - before.rows[table as TurnTable];
    return { what: `${table} rows`, expected: exp, actual, ok: actual === exp };
  });
  // Each acknowledged stream update added one to message_count: a lost or doubled increment
  // shows up here (stale reads fail the turn's own freshness check).
  const counted = after.messageCountSum - before.messageCountSum;
  lines.push({ what: 'chat_streams.message_count (sum)', expected: w.streamUpdates, actual: counted, ok: counted === w.streamUpdates });
  return lines;
}
