import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, Messages } from '@botdb/core';
import { localPgCluster, runConformanceSuite } from '@botdb/test-suite';
import { CachePlugin } from '@botdb/cache';
import { BatchPlugin } from '@botdb/batch';
import { Databases, message, PG_URL, skipUnless, recordStatements, stream } from './support.js';
import { writeOrderTests } from './order.js';

describe('BatchPlugin on PostgreSQL', function () {
  this.timeout(120_000);
  const dbs = new Databases('pg');
  before(function () {
    skipUnless(this, PG_URL, 'BOTDB_PG_URL');
  });
  after(() => dbs.cleanup());

  if (PG_URL !== undefined) {
    runConformanceSuite('conformance with batch (PostgreSQL)', () => dbs.create({ plugins: [new BatchPlugin()] }));
    runConformanceSuite('conformance with batch + cache (PostgreSQL)', () => dbs.create({ plugins: [new BatchPlugin(), new CachePlugin()] }));
  }

  describe('write order across sessions and transactions', function () {
    writeOrderTests(() => dbs.create({ plugins: [new BatchPlugin()] }));
  });

  it('100 concurrent inserts are 1 INSERT statement in one flush', async function () {
    const db = await dbs.create({ plugins: [new BatchPlugin()] });
    const sql = recordStatements(db);
    const rows = await Promise.all(Array.from({ length: 100 }, (_, i) => db.create(Messages, message('pg', i))));
    expect(sql.list.filter((s) => s.startsWith('INSERT')).length).to.equal(1);
    expect(rows.map((r) => r.message_id)).to.deep.equal(Array.from({ length: 100 }, (_, i) => `m-pg-${i}`));
  });

  it('a flush of 32 turns (a message and its stream update each) runs a constant number of statements', async function () {
    const db = await dbs.create({ plugins: [new BatchPlugin(), new CachePlugin()] });
    await db.createMany(ChatStreams, Array.from({ length: 32 }, (_, i) => stream(`t${i}`)));
    for (let i = 0; i < 32; i++) await db.get(ChatStreams, { filters: { stream_id: `t${i}` }, single: true });
    const sql = recordStatements(db);
    await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        Promise.all([
          db.create(Messages, message(`t${i}`, i)),
          db.update(ChatStreams, { stream_id: `t${i}` }, i % 2 ? { message_count: { $inc: 1 }, last_active_time: i } : { message_count: { $inc: 1 }, reply_count: { $inc: 1 }, last_active_time: i }),
        ]),
      ),
    );
    // One INSERT, one locking SELECT of the streams, one UPDATE per set of changed columns (2).
    expect(sql.list.map((s) => s.split(' ')[0])).to.deep.equal(['INSERT', 'SELECT', 'UPDATE', 'UPDATE']);
    for (let i = 0; i < 32; i++) {
      const row = await db.get(ChatStreams, { filters: { stream_id: `t${i}` }, single: true });
      expect([row?.message_count, row?.reply_count, row?.last_active_time], `t${i} (cached)`).to.deep.equal([1, i % 2 ? 0 : 1, i]);
      expect(await db.get(ChatStreams, { filters: { stream_id: `t${i}` }, single: true, cache: false })).to.deep.equal(row);
    }
  });

  it('a database error at COMMIT keeps its code (as for a direct write), not BOTDB_ERR_PLUGIN; neighbours commit', async function () {
    const name = 'commit_error';
    const db = await dbs.create({ plugins: [new BatchPlugin()] }, name);
    // A deferred constraint trigger fails at COMMIT, not at the INSERT, for messages of one chat.
    const schema = `"botdb_t_${name}"`;
    const conn = db.orm.em.getConnection();
    await conn.execute(
      `CREATE FUNCTION ${schema}.fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
        `IF NEW.chat_id = 'deferred' THEN RAISE EXCEPTION 'row violates a deferred check' USING ERRCODE = 'check_violation'; END IF; RETURN NULL; END $$`,
    );
    await conn.execute(`CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON ${schema}.messages DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${schema}.fail_at_commit()`);
    const codes = (r: PromiseSettledResult<unknown>[]) => r.map((x) => (x.status === 'rejected' ? (x.reason as { code?: string }).code : 'ok'));
    const direct = await dbs.create({}, name);
    const alone = codes(await Promise.allSettled([direct.create(Messages, message('deferred', 1))]));
    expect(alone).to.deep.equal(['BOTDB_ERR_CONSTRAINT']);
    const batched = codes(await Promise.allSettled([db.create(Messages, message('deferred', 2)), db.create(Messages, message('fine', 1))]));
    expect(batched).to.deep.equal(['BOTDB_ERR_CONSTRAINT', 'ok']);
    expect(await db.count(Messages, { chat_id: { $in: ['deferred', 'fine'] } })).to.equal(1);
  });

  it('read-your-writes and merged increments', async function () {
    const db = await dbs.create({ plugins: [new BatchPlugin(), new CachePlugin()] });
    await db.create(ChatStreams, stream('s'));
    const pending = Array.from({ length: 20 }, () => db.update(ChatStreams, { stream_id: 's' }, { message_count: { $inc: 1 } }));
    expect((await db.get(ChatStreams, { filters: { stream_id: 's' }, single: true }))?.message_count).to.equal(20);
    await Promise.all(pending);
  });

  it('PostgreSQL restarted mid-traffic: writes retry and land; no promise hangs', async function () {
    const cluster = localPgCluster();
    if (cluster === undefined) {
      console.log('  (skipped: restarting PostgreSQL needs root and pg_ctlcluster on this machine)');
      this.skip();
    }
    const db = await dbs.create({ plugins: [new BatchPlugin({ retryForMs: 60_000 })] });
    const acked = new Set<string>();
    let failed = 0;
    let n = 0;
    let stop = false;
    const writers = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const id = ++n;
        try {
          await db.create(Messages, message('restart', id));
          acked.add(`m-restart-${id}`);
        } catch {
          failed++;
          // A write that fails at once (a closed database) must not spin this loop without
          // yielding: the timer that stops it could never run.
          await new Promise((r) => setImmediate(r));
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1000));
    await cluster!.restart();
    const afterRestart = acked.size;
    await new Promise((r) => setTimeout(r, 2000));
    stop = true;
    // Every promise settles: a guard fails the test rather than letting it hang.
    await Promise.race([Promise.all(writers), new Promise((_, reject) => setTimeout(() => reject(new Error('writes still pending after 60 s')), 60_000))]);
    // Whether a flush hit the restart (and retried) or the pool replaced its dead connections
    // first depends on timing; what must hold either way: nothing failed, nothing hung, writes
    // went on landing after the restart, and every acknowledged write is stored.
    expect(failed, 'no write failed').to.equal(0);
    expect(acked.size, 'writes acknowledged after the restart').to.be.greaterThan(afterRestart);
    const stored = new Set((await db.get(Messages, { filters: { chat_id: 'restart' } })).map((r) => r.message_id as string));
    expect([...acked].filter((id) => !stored.has(id))).to.deep.equal([]);
  });
});
