/**
 * A real Prometheus scrapes a database with monitoring: Prometheus (Debian's package) starts on a
 * free local port with a temporary config and data directory and a 1 s scrape interval, scrapes
 * the plugin's standalone /metrics server in this process, and its HTTP query API must return
 * botdb series with non-zero values.
 */
import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Database } from '@botdb/core';
import { MonitoringPlugin, type ServerAddress } from '../src/index.js';
import { skipWithout } from './support/binaries.js';
import { allTraffic, openFullyMonitored, tempDir } from './support/db.js';

const TOKEN = 'e2e-scrape-token';

/** A TCP port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

/** Runs an instant query against Prometheus's HTTP API. */
async function query(base: string, promql: string): Promise<Vector[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data?: { resultType: string; result: Vector[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error ?? res.status}`);
  return body.data?.result ?? [];
}

/** Polls `check` until it returns true or `ms` pass; returns whether it did. */
async function until(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

describe('monitoring: a real Prometheus scrapes botdb (end to end)', function () {
  this.timeout(90_000);
  const dir = tempDir('botdb-prometheus-');
  let db: Database | undefined;
  let prometheus: ChildProcess | undefined;
  let log = '';
  let base = '';

  before(async function () {
    skipWithout(this, 'prometheus', 'the Prometheus end-to-end test');
    ({ db } = await openFullyMonitored(dir, { port: 0, token: TOKEN }));
    await allTraffic(db);
    const target = MonitoringPlugin.address(db) as ServerAddress;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(
      dir.file('prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: botdb-e2e',
        `    metrics_path: ${new URL(target.url).pathname}`,
        '    authorization:',
        `      credentials: ${TOKEN}`,
        '    static_configs:',
        `      - targets: ['${target.host}:${target.port}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${dir.file('prometheus.yml')}`,
        `--storage.tsdb.path=${dir.file('data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-20_000);
    };
    prometheus.stdout?.on('data', keep);
    prometheus.stderr?.on('data', keep);
    const ready = await until(30_000, async () => (await fetch(`${base}/-/ready`)).ok);
    if (!ready) throw new Error(`Prometheus did not become ready on ${base}:\n${log}`);
  });

  after(async function () {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus?.once('exit', r));
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await db?.close();
    dir.remove();
  });

  it('the query API returns botdb series with non-zero values', async function () {
    const wanted = [
      'sum(botdb_reads_total)',
      'sum(botdb_writes_total)',
      'sum(botdb_operation_duration_seconds_count)',
      'sum(botdb_statement_duration_seconds_count)',
      'sum(botdb_errors_total)',
      'sum(botdb_cache_hits_total)',
      'botdb_batch_batching_ratio',
      'max(botdb_replica_lag_seconds)',
    ];
    const values = new Map<string, number>();
    const ok = await until(30_000, async () => {
      for (const q of wanted) {
        const [first] = await query(base, q);
        if (first === undefined) return false;
        values.set(q, Number(first.value[1]));
      }
      return true;
    });
    expect(ok, `Prometheus never returned every botdb series; log:\n${log}`).to.equal(true);
    for (const [q, v] of values) expect(v, q).to.be.greaterThan(0);

    const up = await query(base, 'up{job="botdb-e2e"}');
    expect(up.map((s) => s.value[1])).to.deep.equal(['1']);
    const reads = await query(base, 'botdb_reads_total{entity="ChatStreams",operation="get",layer="l1"}');
    expect(reads).to.have.length(1);
    expect(reads[0]?.metric).to.include({ job: 'botdb-e2e', entity: 'ChatStreams', layer: 'l1' });
  });

  it('a histogram quantile over the scraped data is a number (what the Grafana board runs)', async function () {
    const ok = await until(30_000, async () => {
      const [q] = await query(base, 'histogram_quantile(0.99, sum by (le) (botdb_operation_duration_seconds_bucket))');
      return q !== undefined && Number.isFinite(Number(q.value[1])) && Number(q.value[1]) > 0;
    });
    expect(ok).to.equal(true);
  });
});
