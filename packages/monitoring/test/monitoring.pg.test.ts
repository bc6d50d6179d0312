import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ChatStreams, createDatabase, type Database } from '@botdb/core';
import { MonitoringPlugin } from '../src/index.js';
import { metric, samples, stream, valueOf } from './support/db.js';

const PG_URL = process.env.BOTDB_PG_URL === '' ? undefined : process.env.BOTDB_PG_URL;

describe('monitoring on PostgreSQL', function () {
  const schema = `botdb_test_${randomBytes(6).toString('hex')}`;
  let db: Database | undefined;

  before(async function () {
    if (PG_URL === undefined) {
      console.log('  (skipped monitoring on PostgreSQL: set BOTDB_PG_URL=postgres://user@host:port/db to run the PostgreSQL tests)');
      this.skip();
    }
    db = await createDatabase({ url: PG_URL, postgresql: { schema, poolSize: 4 }, plugins: [new MonitoringPlugin()] });
  });
  after(async function () {
    await db?.close();
    if (PG_URL === undefined) return;
    const admin = await createDatabase({ url: PG_URL, syncSchema: false });
    try {
      await admin.orm.em.getConnection().execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.close();
    }
  });

  it('pool gauges from the knex pool: max is postgresql.poolSize, used + free within it', async function () {
    const d = db as Database;
    await Promise.all(Array.from({ length: 12 }, (_, i) => d.create(ChatStreams, stream(`pg-${i}`) as never)));
    const all = await samples(MonitoringPlugin.getRegistry(d));
    expect(valueOf(all, 'botdb_pool_max_connections')).to.equal(4);
    const used = valueOf(all, 'botdb_pool_connections', { state: 'used' }) as number;
    const free = valueOf(all, 'botdb_pool_connections', { state: 'free' }) as number;
    expect(used + free).to.be.within(1, 4);
    expect(valueOf(all, 'botdb_pool_connections', { state: 'pending' })).to.equal(0);
    expect(MonitoringPlugin.getStats(d).pool).to.include({ max: 4, pending: 0 });
  });

  it('reads, writes and statements by entity; EntityManager statements by table', async function () {
    const d = db as Database;
    await d.get(ChatStreams, { filters: { stream_id: 'pg-1' }, single: true });
    await d.session(async (em) => {
      await em.find(ChatStreams, { stream_id: 'pg-2' });
    });
    expect(await metric(d, 'botdb_reads_total', { entity: 'ChatStreams', layer: 'db' })).to.equal(1);
    expect(await metric(d, 'botdb_writes_total', { entity: 'ChatStreams', operation: 'create', layer: 'db' })).to.equal(12);
    expect(await metric(d, 'botdb_statement_duration_seconds_count', { source: 'botdb', entity: 'ChatStreams', verb: 'insert' })).to.equal(12);
    expect(await metric(d, 'botdb_statement_duration_seconds_count', { source: 'mikro-orm', entity: 'ChatStreams', verb: 'select' })).to.be.at.least(1);
  });
});
