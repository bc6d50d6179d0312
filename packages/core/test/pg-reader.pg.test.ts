import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import pg from 'pg';
import { ChatStreams } from '../src/index.js';
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

  it('a data API transaction runs on botdb\'s own writer connection, which commits and rolls back', async function () {
    const db = await dbs.create();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const stream = (id: string) => ({ stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' });
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
    } finally {
      await admin.end();
    }
  });
});
