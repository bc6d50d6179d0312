import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, type Database } from '@botdb/core';
import { MonitoringPlugin, type MonitoringStats } from '../src/index.js';
import { Reservoir } from '../src/stats/reservoir.js';
import { allTraffic, metric, openDb, openFullyMonitored, samples, stream, tempDir, valueOf } from './support/db.js';

describe('monitoring: getStats(db)', function () {
  const dir = tempDir();
  after(function () {
    dir.remove();
  });

  it('reports hit rate, batching rate, counts by layer, p50/p95/p99 and errors as JSON', async function () {
    const { db } = await openFullyMonitored(dir);
    try {
      await allTraffic(db);
      const stats = MonitoringPlugin.getStats(db);
      expect(JSON.parse(JSON.stringify(stats))).to.deep.equal(stats);
      expect(stats.hitRate).to.equal(0.5); // the cache plugin's own figure
      expect(stats.batchingRate).to.equal(0.75);
      expect(stats.reads.byLayer).to.include({ db: 2, l1: 1, l2: 1, replica: 1 });
      expect(stats.reads.total).to.equal(5);
      expect(stats.reads.latencyMs.samples).to.equal(5);
      const { p50, p95, p99 } = stats.reads.latencyMs;
      expect(p50).to.be.a('number');
      expect(p50 as number).to.be.at.most(p95 as number);
      expect(p95 as number).to.be.at.most(p99 as number);
      expect(stats.writes.byLayer).to.deep.equal({ batch: 1, db: 2 });
      // The batched write, timed until it settled (its fake flush takes 5 ms), and the direct
      // writes that committed, timed through core's afterWrite.
      expect(stats.writes.latencyMs.samples).to.be.at.least(2);
      expect(stats.writes.latencyMs.p99 as number).to.be.greaterThan(4);
      expect(stats.statements.total).to.be.greaterThan(3);
      expect(stats.statements.failed).to.equal(1);
      expect(stats.statements.slow).to.equal(stats.statements.total); // threshold 0
      expect(stats.errors).to.deep.equal({ BOTDB_ERR_CONSTRAINT: 2, BOTDB_ERR_PLUGIN: 1 });
      // Misses: the db get, the count, the replica read and the read a plugin failed.
      expect(stats.cache).to.deep.include({ hitRate: 0.5, hits: 2, misses: 4 });
      expect(stats.cache?.plugin).to.include({ evictions: 6, entriesL1: 42 });
      expect(stats.batch).to.deep.include({ batchingRate: 0.75, flushes: 1 });
      expect(stats.replica).to.deep.equal({ lagSeconds: { 'replica-1': 0.25, 'replica-2': 1.5 }, routes: { primary: 2, replica: 1 } });
      expect(stats.pool).to.include({ pending: 0 });
    } finally {
      await db.close();
    }
  });

  it('without other plugins: null hit and batching rates, no cache/batch/replica sections', async function () {
    const db = await openDb(dir, [new MonitoringPlugin()]);
    try {
      const stats = MonitoringPlugin.getStats(db);
      expect(stats).to.include({ hitRate: null, batchingRate: null, cache: null, batch: null, replica: null });
      expect(stats.reads).to.deep.equal({ total: 0, byLayer: {}, latencyMs: { samples: 0, p50: null, p95: null, p99: null } });
    } finally {
      await db.close();
    }
  });

  it('is published on the pipeline as the MonitoringPlugin surface, for a db.stats() to delegate to', async function () {
    const db = await openDb(dir, [new MonitoringPlugin()]);
    try {
      await db.get(ChatStreams, { limit: 1 });
      const surface = db.pipeline.surface('MonitoringPlugin');
      expect(surface?.stats?.()).to.deep.equal(MonitoringPlugin.getStats(db));
    } finally {
      await db.close();
    }
  });

  it('the static calls fail with BOTDB_ERR_MISSING_PLUGIN for a database without the plugin', async function () {
    const db = await openDb(dir, []);
    try {
      for (const call of [() => MonitoringPlugin.getStats(db), () => MonitoringPlugin.getRegistry(db), () => MonitoringPlugin.handler(db), () => MonitoringPlugin.recordError(db, new Error('x'))]) {
        expect(call).to.throw().with.property('code', 'BOTDB_ERR_MISSING_PLUGIN');
      }
    } finally {
      await db.close();
    }
  });

  it('stays readable after close (no pool section once the pool is gone)', async function () {
    const db = await openDb(dir, [new MonitoringPlugin()]);
    await db.get(ChatStreams, { limit: 1 });
    await db.close();
    const stats: MonitoringStats = MonitoringPlugin.getStats(db);
    expect(stats.reads.total).to.equal(1);
    expect(stats.pool).to.equal(null);
    expect(await metric(db, 'botdb_pool_connections')).to.equal(undefined);
  });
});

describe('monitoring: one registry per database', function () {
  const dir = tempDir();
  after(function () {
    dir.remove();
  });

  it('two databases in one process do not collide, and nothing lands in the global registry', async function () {
    const { register } = await import('prom-client');
    const globalBefore = (await register.getMetricsAsJSON()).length;
    const a = await openDb(dir, [new MonitoringPlugin()]);
    const b = await openDb(dir, [new MonitoringPlugin()]);
    try {
      await a.get(ChatStreams, { limit: 1 });
      await a.get(ChatStreams, { limit: 1 });
      await b.get(ChatStreams, { limit: 1 });
      expect(MonitoringPlugin.getRegistry(a)).not.to.equal(MonitoringPlugin.getRegistry(b));
      expect(await metric(a, 'botdb_reads_total')).to.equal(2);
      expect(await metric(b, 'botdb_reads_total')).to.equal(1);
      expect((await register.getMetricsAsJSON()).length).to.equal(globalBefore);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('defaultLabels tell two databases apart when both are served from one host:port', async function () {
    const a = await openDb(dir, [new MonitoringPlugin({ defaultLabels: { db: 'main' } })]);
    const b = await openDb(dir, [new MonitoringPlugin({ defaultLabels: { db: 'archive' } })]);
    try {
      await a.get(ChatStreams, { limit: 1 });
      await b.create(ChatStreams, stream('m-1') as never);
      const all = await samples(MonitoringPlugin.getRegistry(a));
      expect(valueOf(all, 'botdb_reads_total', { db: 'main' })).to.equal(1);
      expect(valueOf(await samples(MonitoringPlugin.getRegistry(b)), 'botdb_writes_total', { db: 'archive' })).to.equal(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the same plugin instance applied to two databases keeps their metrics apart', async function () {
    const plugin = new MonitoringPlugin();
    const a = await openDb(dir, [plugin]);
    const b = await openDb(dir, [plugin]);
    try {
      await a.get(ChatStreams, { limit: 1 });
      expect(await metric(a, 'botdb_reads_total')).to.equal(1);
      expect(await metric(b, 'botdb_reads_total')).to.equal(undefined);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('defaultMetrics adds the process metrics under their standard names', async function () {
    const db: Database = await openDb(dir, [new MonitoringPlugin({ defaultMetrics: true })]);
    try {
      const body = (await MonitoringPlugin.metrics(db)).body;
      expect(body).to.match(/^process_cpu_user_seconds_total /m);
      expect(body).to.match(/^nodejs_heap_size_total_bytes /m);
    } finally {
      await db.close();
    }
  });
});

describe('monitoring: the percentile reservoir', function () {
  it('computes nearest-rank percentiles over the most recent samples', function () {
    const r = new Reservoir(100);
    expect(r.percentiles()).to.deep.equal({ samples: 0, p50: null, p95: null, p99: null });
    for (let i = 1; i <= 100; i++) r.record(i);
    expect(r.percentiles()).to.deep.equal({ samples: 100, p50: 50, p95: 95, p99: 99 });
    // 100 more: only the last 100 (101..200) remain.
    for (let i = 101; i <= 200; i++) r.record(i);
    expect(r.percentiles()).to.deep.equal({ samples: 100, p50: 150, p95: 195, p99: 199 });
  });

  it('handles one sample and rounds to the microsecond', function () {
    const r = new Reservoir(4);
    r.record(1.23456789);
    expect(r.percentiles()).to.deep.equal({ samples: 1, p50: 1.235, p95: 1.235, p99: 1.235 });
  });
});
