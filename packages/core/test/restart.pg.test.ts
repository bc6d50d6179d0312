import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams } from '../src/index.js';
// @botdb/test-suite depends on core; core's tests import it by path (see conformance.test.ts).
import { localPgCluster, PG_URL, skipUnless, TestDatabases } from '../../test-suite/src/index.js';

describe('PostgreSQL restarted under a running database', function () {
  this.timeout(60_000);
  const dbs = new TestDatabases('pg');
  before(function () {
    skipUnless(this, PG_URL, 'BOTDB_PG_URL');
  });
  after(() => dbs.cleanup());

  it('reads after the restart succeed: dead pooled connections are retried, not surfaced', async function () {
    const cluster = localPgCluster();
    if (cluster === undefined) {
      console.log('  (skipped: restarting PostgreSQL needs root and pg_ctlcluster on this machine)');
      this.skip();
    }
    const db = await dbs.create({ postgresql: { poolSize: 4 } });
    await db.create(ChatStreams, { stream_id: 'r', create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' });
    // Fill the pool with connections that the restart will kill.
    await Promise.all(Array.from({ length: 4 }, () => db.count(ChatStreams, {})));
    await cluster!.restart();
    const rows = await Promise.all(Array.from({ length: 8 }, () => db.get(ChatStreams, { filters: { stream_id: 'r' }, single: true })));
    expect(rows.every((r) => r?.stream_id === 'r')).to.equal(true);
  });
});
