import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
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
});
