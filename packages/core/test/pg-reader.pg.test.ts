import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import pg from 'pg';
import { ChatStreams, isTransient } from '../src/index.js';
import { PG_URL, skipUnless, TestDatabases } from '../../test-suite/src/index.js';

describe('PostgreSQL fast read path', function () {
  const dbs = new TestDatabases('pg');
  before(function () {
    skipUnless(this, PG_URL, 'BOTDB_PG_URL');
  });
  after(() => dbs.cleanup());

  it('reads outside a session see every committed write, including a session that just committed', async function () {
    const db = await dbs.create();
    await db.create(ChatStreams, { stream_id: 'f', create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' });
    for (let i = 1; i <= 20; i++) {
      await db.session(async (em) => {
        const s = await em.findOneOrFail(ChatStreams, { stream_id: 'f' });
        s.message_count = i;
      });
      expect((await db.get(ChatStreams, { filters: { stream_id: 'f' }, single: true }))?.message_count).to.equal(i);
    }
  });

  const stream = (id: string) => ({ stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' });

  /** A database, and an admin connection to look at (and end) its connections from the server. */
  async function withAdmin(fn: (db: Awaited<ReturnType<typeof dbs.create>>, admin: pg.Client) => Promise<void>): Promise<void> {
    const db = await dbs.create();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await fn(db, admin);
    } finally {
      await admin.end();
    }
  }

  it('a data API transaction runs on botdb\'s own writer connection, which commits and rolls back', async function () {
    await withAdmin(async (db, admin) => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let wrote!: () => void;
      const written = new Promise<void>((r) => (wrote = r));
      const done = db.transaction(
        async (tx) => {
          await tx.create(ChatStreams, stream('w1'));
          wrote();
          await held;
        },
        { ambient: false },
      );
      await written;
      const open = await admin.query<{ application_name: string }>("select application_name from pg_stat_activity where state = 'idle in transaction' and datname = current_database()");
      expect(open.rows.map((r) => r.application_name)).to.include('botdb-writer');
      release();
      await done;
      expect(await db.count(ChatStreams, { stream_id: 'w1' })).to.equal(1);
      const err = await db.transaction(async (tx) => {
        await tx.create(ChatStreams, stream('w2'));
        throw new Error('roll back');
      }).catch((e: Error) => e);
      expect(err).to.have.property('message', 'roll back');
      expect(await db.count(ChatStreams, { stream_id: 'w2' })).to.equal(0);
    });
  });

  it('a writer connection the server ends mid-transaction fails that transaction (transient), not the process', async function () {
    await withAdmin(async (db, admin) => {
      let killed!: () => void;
      const gone = new Promise<void>((r) => (killed = r));
      const err = await db
        .transaction(
          async (tx) => {
            await tx.create(ChatStreams, stream('k1'));
            // The connection is idle inside the transaction: end it from the server side.
            await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'botdb-writer' and state = 'idle in transaction' and datname = current_database()");
            await new Promise((r) => setTimeout(r, 200));
            killed();
            await tx.create(ChatStreams, stream('k2'));
          },
          { ambient: false },
        )
        .catch((e: unknown) => e);
      await gone;
      expect(isTransient(err), String(err)).to.equal(true);
      expect(await db.count(ChatStreams, { stream_id: { $in: ['k1', 'k2'] } })).to.equal(0);
      // The pool replaced the connection: the next transaction commits.
      await db.create(ChatStreams, stream('k3'));
      expect(await db.count(ChatStreams, { stream_id: 'k3' })).to.equal(1);
    });
  });
});
