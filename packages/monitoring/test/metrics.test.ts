import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, Messages, type Database } from '@botdb/core';
import { MonitoringPlugin, type SlowStatementEntry } from '../src/index.js';
import { metric, openDb, samples, stream, tempDir, valueOf } from './support/db.js';
import { FakeBatchPlugin, FakeCachePlugin, FakeRwSplitPlugin, ThrowingPlugin } from './support/fakes.js';

/** `metric()` of `db`, 0 when the series does not exist yet. */
async function count(db: Database, name: string, labels: Record<string, string> = {}): Promise<number> {
  return (await metric(db, name, labels)) ?? 0;
}

describe('monitoring: each metric moves when its event happens (SQLite)', function () {
  const dir = tempDir();
  const logged: SlowStatementEntry[] = [];
  const cache = new FakeCachePlugin();
  const batch = new FakeBatchPlugin();
  const rw = new FakeRwSplitPlugin();
  let db: Database;

  before(async function () {
    db = await openDb(dir, [new MonitoringPlugin({ slowStatementMs: 0, logger: (e) => logged.push(e) }), cache, batch, rw, new ThrowingPlugin()]);
    await db.create(ChatStreams, stream('s-1') as never);
  });
  after(async function () {
    await db?.close();
    dir.remove();
  });

  it('a direct write is timed end to end (layer db), through core afterWrite', async function () {
    const labels = { entity: 'ChatStreams', operation: 'create', layer: 'db' };
    const timed = await count(db, 'botdb_operation_duration_seconds_count', labels);
    await db.create(ChatStreams, stream('s-direct') as never);
    expect(await count(db, 'botdb_operation_duration_seconds_count', labels)).to.equal(timed + 1);
  });

  it('a data API call that rejects counts in errors_total by code, origin data-api, without recordError', async function () {
    const labels = { code: 'BOTDB_ERR_UNKNOWN_FIELD', origin: 'data-api' };
    const before = await count(db, 'botdb_errors_total', labels);
    await db.get(ChatStreams, { filters: { no_such_column: 1 } }).catch(() => undefined);
    expect(await count(db, 'botdb_errors_total', labels)).to.equal(before + 1);
  });

  it('a database read: reads_total, operation duration (layer db) and a select statement', async function () {
    const labels = { entity: 'ChatStreams', operation: 'get', layer: 'db' };
    const reads = await count(db, 'botdb_reads_total', labels);
    const timed = await count(db, 'botdb_operation_duration_seconds_count', labels);
    const selects = await count(db, 'botdb_statement_duration_seconds_count', { source: 'botdb', entity: 'ChatStreams', verb: 'select' });
    await db.get(ChatStreams, { filters: { stream_id: 's-1' }, single: true });
    expect(await count(db, 'botdb_reads_total', labels)).to.equal(reads + 1);
    expect(await count(db, 'botdb_operation_duration_seconds_count', labels)).to.equal(timed + 1);
    expect(await count(db, 'botdb_operation_duration_seconds_sum', labels)).to.be.greaterThan(0);
    expect(await count(db, 'botdb_statement_duration_seconds_count', { source: 'botdb', entity: 'ChatStreams', verb: 'select' })).to.equal(selects + 1);
  });

  it('a count: operation="count"', async function () {
    const labels = { entity: 'Messages', operation: 'count', layer: 'db' };
    const before = await count(db, 'botdb_reads_total', labels);
    await db.count(Messages);
    expect(await count(db, 'botdb_reads_total', labels)).to.equal(before + 1);
  });

  it('a cache hit: hits counter by level, the read under the answering layer, no statement', async function () {
    const statements = await count(db, 'botdb_statement_duration_seconds_count');
    const hitsL1 = await count(db, 'botdb_cache_hits_total', { entity: 'ChatStreams', level: 'l1' });
    await db.get(ChatStreams, { fakeCache: 'l1' });
    await db.get(ChatStreams, { fakeCache: 'l2' });
    expect(await count(db, 'botdb_cache_hits_total', { entity: 'ChatStreams', level: 'l1' })).to.equal(hitsL1 + 1);
    expect(await count(db, 'botdb_cache_hits_total', { entity: 'ChatStreams', level: 'l2' })).to.be.greaterThan(0);
    expect(await count(db, 'botdb_reads_total', { layer: 'l1' })).to.be.greaterThan(0);
    expect(await count(db, 'botdb_operation_duration_seconds_count', { entity: 'ChatStreams', operation: 'get', layer: 'l2' })).to.be.greaterThan(0);
    expect(await count(db, 'botdb_statement_duration_seconds_count')).to.equal(statements);
  });

  it('a cache miss: misses counter', async function () {
    const before = await count(db, 'botdb_cache_misses_total', { entity: 'Messages' });
    await db.get(Messages, { limit: 1 });
    expect(await count(db, 'botdb_cache_misses_total', { entity: 'Messages' })).to.equal(before + 1);
  });

  it('a committed write: cache invalidations by the count the hook reports', async function () {
    const before = await count(db, 'botdb_cache_invalidations_total', { entity: 'ChatStreams' });
    await db.update(ChatStreams, { stream_id: 's-1' }, { last_active_time: 5 });
    expect(await count(db, 'botdb_cache_invalidations_total', { entity: 'ChatStreams' })).to.equal(before + 2);
  });

  it('cache stats: totals as counters and sizes as gauges, read at scrape time', async function () {
    cache.stats.evictions = 60;
    cache.stats.entriesL1 = 43;
    const all = await samples(MonitoringPlugin.getRegistry(db));
    expect(valueOf(all, 'botdb_cache_evictions_total')).to.equal(60);
    expect(valueOf(all, 'botdb_cache_negative_hits_total')).to.equal(3);
    expect(valueOf(all, 'botdb_cache_bloom_rejections_total')).to.equal(4);
    expect(valueOf(all, 'botdb_cache_single_flight_joins_total')).to.equal(5);
    expect(valueOf(all, 'botdb_cache_patches_total')).to.equal(8);
    expect(valueOf(all, 'botdb_cache_l2_errors_total')).to.equal(9);
    expect(valueOf(all, 'botdb_cache_bus_errors_total')).to.equal(10);
    expect(valueOf(all, 'botdb_cache_entries', { level: 'l1' })).to.equal(43);
    expect(valueOf(all, 'botdb_cache_size_bytes', { level: 'l1' })).to.equal(4096);
    expect(valueOf(all, 'botdb_cache_hit_ratio')).to.equal(0.5);
    // The fake reports no L2 sizes: no L2 series, rather than a zero pretending.
    expect(valueOf(all, 'botdb_cache_entries', { level: 'l2' })).to.equal(undefined);
  });

  it('a direct write: writes_total with layer db, and its statements', async function () {
    const labels = { entity: 'ChatStreams', operation: 'create', layer: 'db' };
    const before = await count(db, 'botdb_writes_total', labels);
    const inserts = await count(db, 'botdb_statement_duration_seconds_count', { entity: 'ChatStreams', verb: 'insert' });
    await db.create(ChatStreams, stream('s-2') as never);
    expect(await count(db, 'botdb_writes_total', labels)).to.equal(before + 1);
    expect(await count(db, 'botdb_statement_duration_seconds_count', { entity: 'ChatStreams', verb: 'insert' })).to.equal(inserts + 1);
  });

  it('a batched write: writes_total and duration under layer batch, batch size and flush duration', async function () {
    const labels = { entity: 'ChatStreams', operation: 'update', layer: 'batch' };
    const before = await count(db, 'botdb_writes_total', labels);
    await db.update(ChatStreams, { stream_id: 's-1' }, { last_active_time: 6 }, { fakeBatch: true });
    expect(await count(db, 'botdb_writes_total', labels)).to.equal(before + 1);
    expect(await count(db, 'botdb_operation_duration_seconds_count', labels)).to.equal(before + 1);
    // The fake batch resolves after ~5 ms: the write is timed until its promise settled.
    expect(await count(db, 'botdb_operation_duration_seconds_sum', labels)).to.be.greaterThan(0.004 * (before + 1));
    expect(await count(db, 'botdb_batch_size_rows_sum', { entity: 'ChatStreams' })).to.be.greaterThan(0);
    expect(await count(db, 'botdb_batch_size_rows_bucket', { entity: 'ChatStreams', le: '5' })).to.be.greaterThan(0);
    expect(await count(db, 'botdb_batch_flush_duration_seconds_count', { entity: 'ChatStreams' })).to.be.greaterThan(0);
    expect(await count(db, 'botdb_writes_total', { entity: 'ChatStreams', operation: 'update', layer: 'db' })).to.equal(1);
  });

  it('batch events: degradations, retries, isolated failures from the hooks; queue depth and batching rate from stats', async function () {
    batch.hooks.degrade.call({ reason: 'slow' });
    batch.hooks.retry.call({ entity: 'Messages' });
    batch.hooks.retry.call({ entity: 'Messages' });
    batch.hooks.isolated.call({ entity: 'Messages' });
    const all = await samples(MonitoringPlugin.getRegistry(db));
    expect(valueOf(all, 'botdb_batch_degradations_total')).to.equal(1);
    expect(valueOf(all, 'botdb_batch_retries_total')).to.equal(2);
    expect(valueOf(all, 'botdb_batch_isolated_failures_total')).to.equal(1);
    expect(valueOf(all, 'botdb_batch_queue_depth')).to.equal(7);
    expect(valueOf(all, 'botdb_batch_batching_ratio')).to.equal(0.75);
  });

  it('replica: routing decisions by target and reason, lag by replica, reads under layer replica', async function () {
    const before = await count(db, 'botdb_rw_routing_decisions_total', { target: 'replica' });
    await db.get(ChatStreams, { fakeReplica: true });
    expect(await count(db, 'botdb_rw_routing_decisions_total', { target: 'replica', reason: 'fresh' })).to.equal(before + 1);
    expect(await count(db, 'botdb_rw_routing_decisions_total', { target: 'primary' })).to.be.greaterThan(0);
    expect(await count(db, 'botdb_reads_total', { layer: 'replica' })).to.be.greaterThan(0);
    expect(await metric(db, 'botdb_replica_lag_seconds', { replica: 'replica-2' })).to.equal(1.5);
    rw.stats.replicaLagSeconds = { 'replica-2': 3 };
    // A replica taken out is no longer published.
    expect(await metric(db, 'botdb_replica_lag_seconds', { replica: 'replica-1' })).to.equal(undefined);
    expect(await metric(db, 'botdb_replica_lag_seconds', { replica: 'replica-2' })).to.equal(3);
  });

  it('pool: connections by state and the pool size (SQLite: MikroORM’s one pooled connection)', async function () {
    const all = await samples(MonitoringPlugin.getRegistry(db));
    expect(valueOf(all, 'botdb_pool_connections', { state: 'used' })).to.be.a('number');
    expect(valueOf(all, 'botdb_pool_connections', { state: 'free' })).to.be.a('number');
    expect(valueOf(all, 'botdb_pool_connections', { state: 'pending' })).to.equal(0);
    expect(valueOf(all, 'botdb_pool_max_connections')).to.be.at.least(1);
  });

  it("a user's EntityManager work: statements with source mikro-orm and the entity from the table name", async function () {
    const labels = { source: 'mikro-orm', entity: 'ChatStreams', verb: 'select' };
    const before = await count(db, 'botdb_statement_duration_seconds_count', labels);
    await db.session(async (em) => {
      await em.find(ChatStreams, {});
    });
    expect(await count(db, 'botdb_statement_duration_seconds_count', labels)).to.equal(before + 1);
  });

  it('a statement the database rejects: statement failures, and the error by code (data-api), once', async function () {
    const failed = await count(db, 'botdb_statement_failures_total', { source: 'botdb', entity: 'ChatStreams', verb: 'insert' });
    const errors = await count(db, 'botdb_errors_total', { code: 'BOTDB_ERR_CONSTRAINT', origin: 'data-api' });
    let caught: unknown;
    await db.create(ChatStreams, stream('s-1') as never).catch((e: unknown) => (caught = e));
    expect((caught as { code?: string }).code).to.equal('BOTDB_ERR_CONSTRAINT');
    expect(await count(db, 'botdb_statement_failures_total', { source: 'botdb', entity: 'ChatStreams', verb: 'insert' })).to.equal(failed + 1);
    expect(await count(db, 'botdb_errors_total', { code: 'BOTDB_ERR_CONSTRAINT', origin: 'data-api' })).to.equal(errors + 1);
    // Reporting the same error again does not count it twice.
    expect(MonitoringPlugin.recordError(db, caught)).to.equal(false);
    expect(await count(db, 'botdb_errors_total', { code: 'BOTDB_ERR_CONSTRAINT', origin: 'app' })).to.equal(0);
  });

  it('a failing EntityManager statement counts as a mikro-orm statement failure', async function () {
    const before = await count(db, 'botdb_statement_failures_total', { source: 'mikro-orm' });
    await db
      .session(async (em) => {
        await em.execute('select * from no_such_table');
      })
      .catch(() => undefined);
    expect(await count(db, 'botdb_statement_failures_total', { source: 'mikro-orm' })).to.equal(before + 1);
  });

  it('a plugin that throws in a hook: errors_total by code and origin hook', async function () {
    let caught: unknown;
    await db.get(ChatStreams, { fakeThrow: true }).catch((e: unknown) => (caught = e));
    expect((caught as { code?: string }).code).to.equal('BOTDB_ERR_PLUGIN');
    expect(await count(db, 'botdb_errors_total', { code: 'BOTDB_ERR_PLUGIN', origin: 'read' })).to.equal(1);
    // The app reporting the same error again does not count it twice.
    expect(MonitoringPlugin.recordError(db, caught)).to.equal(false);
    expect(await count(db, 'botdb_errors_total', { code: 'BOTDB_ERR_PLUGIN' })).to.equal(1);
  });

  it("a batched write's own coded rejection counts under its code, once", async function () {
    const constraintBefore = (await count(db, 'botdb_errors_total', { code: 'BOTDB_ERR_CONSTRAINT', origin: 'write' })) + (await count(db, 'botdb_errors_total', { code: 'BOTDB_ERR_CONSTRAINT', origin: 'data-api' }));
    let caught: unknown;
    await db.update(ChatStreams, { stream_id: 's-1' }, { last_active_time: 7 }, { fakeBatch: 'fail' }).catch((e: unknown) => (caught = e));
    expect((caught as { code?: string }).code).to.equal('BOTDB_ERR_CONSTRAINT');
    // Seen by the write hook's interceptor and by core's `failed`: counted once, under one origin.
    const byOrigin = await Promise.all(['write', 'data-api', 'app'].map((origin) => count(db, 'botdb_errors_total', { code: 'BOTDB_ERR_CONSTRAINT', origin })));
    expect(byOrigin[0]! + byOrigin[1]! - constraintBefore).to.equal(1);
    expect(MonitoringPlugin.recordError(db, caught)).to.equal(false);
    expect(byOrigin[2]).to.equal(0);
  });

  it('an uncoded error reported by the app counts as code="other"', async function () {
    MonitoringPlugin.recordError(db, new Error('boom'));
    MonitoringPlugin.recordError(db, 'a string');
    expect(await count(db, 'botdb_errors_total', { code: 'other', origin: 'app' })).to.equal(2);
  });

  it('slow statements: counter and one structured entry each, with the statement shape and no values', async function () {
    const before = await count(db, 'botdb_slow_statements_total', { source: 'botdb', entity: 'ChatStreams', verb: 'select' });
    logged.length = 0;
    await db.get(ChatStreams, { filters: { stream_id: 'secret-chat-id-123' } });
    expect(await count(db, 'botdb_slow_statements_total', { source: 'botdb', entity: 'ChatStreams', verb: 'select' })).to.equal(before + 1);
    expect(logged).to.have.length(1);
    const entry = logged[0] as SlowStatementEntry;
    expect(entry).to.include({ msg: 'botdb slow statement', thresholdMs: 0, source: 'botdb', entity: 'ChatStreams', failed: false });
    expect(entry.durationMs).to.be.a('number').and.at.least(0);
    expect(entry.statement).to.match(/^SELECT "id", … FROM "chat_streams" WHERE "stream_id" = \?$/);
    expect(JSON.stringify(entry)).not.to.contain('secret-chat-id-123');
  });
});

describe('monitoring: slow statement threshold and logger', function () {
  const dir = tempDir();
  after(function () {
    dir.remove();
  });

  it('logs nothing below the threshold, and the default logger writes one JSON line', async function () {
    const lines: string[] = [];
    const warn = console.warn;
    console.warn = (line: string) => lines.push(line);
    let db: Database | undefined;
    try {
      db = await openDb(dir, [new MonitoringPlugin({ slowStatementMs: 60_000 })]);
      await db.get(ChatStreams, { limit: 1 });
      expect(await metric(db, 'botdb_slow_statements_total')).to.equal(undefined);
      await db.close();
      db = await openDb(dir, [new MonitoringPlugin({ slowStatementMs: 0 })]);
      await db.get(ChatStreams, { limit: 1 });
    } finally {
      console.warn = warn;
      await db?.close();
    }
    expect(lines.length).to.be.greaterThan(0);
    const entry = JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
    expect(entry).to.include({ level: 'warn', msg: 'botdb slow statement', source: 'botdb', entity: 'ChatStreams' });
    expect(entry.time).to.be.a('string');
  });

  it('a logger that throws does not fail the statement', async function () {
    const db = await openDb(dir, [
      new MonitoringPlugin({
        slowStatementMs: 0,
        logger: () => {
          throw new Error('log sink down');
        },
      }),
    ]);
    try {
      expect(await db.get(ChatStreams, { limit: 1 })).to.deep.equal([]);
      expect(await metric(db, 'botdb_slow_statements_total')).to.be.greaterThan(0);
    } finally {
      await db.close();
    }
  });
});
