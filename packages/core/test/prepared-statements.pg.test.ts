import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { createDatabase, Messages, type Database } from '../src/index.js';
import { NAMED_PER_CONNECTION } from '../src/engine/pg-reader.js';
// @botdb/test-suite depends on core; core's tests import it by path (see conformance.test.ts).
import { dropSchemas, PG_URL, skipUnless, startPgProxy, type PgProxy } from '../../test-suite/src/index.js';

describe('PostgreSQL prepared statements stay bounded per connection', function () {
  this.timeout(120_000);
  let proxy: PgProxy;
  let db: Database;
  const schema = `botdb_t_prep_${randomBytes(4).toString('hex')}`;

  before(async function () {
    skipUnless(this, PG_URL, 'BOTDB_PG_URL');
    // The proxy reads every Parse, Close and DEALLOCATE each connection sends: what the server holds.
    proxy = await startPgProxy(PG_URL!);
    db = await createDatabase({ url: proxy.url, postgresql: { schema } });
    await db.createMany(
      Messages,
      Array.from({ length: 50 }, (_, i) => ({
        message_id: `p-${i}`, time: i, chat_id: 'prep', chat_info_stream_id: 'prep', chat_info_platform: 'qq', chat_info_user_platform: 'qq',
        chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1, chat_info_last_active_time: 1,
      })),
    );
  });

  after(async function () {
    if (PG_URL === undefined) return;
    await db.close();
    await proxy.close();
    await dropSchemas(PG_URL, [schema]);
  });

  /** `n` message ids, the first 50 of stored rows. */
  const ids = (n: number) => Array.from({ length: n }, (_, i) => (i < 50 ? `p-${i}` : `none-${i}`));

  it('reads with many distinct $in lengths (each a statement text of its own) answer right and leave at most the bound prepared', async function () {
    // Twice: the second pass needs statements the first evicted, which are prepared again.
    for (const pass of [1, 2]) {
      for (let n = 1; n <= NAMED_PER_CONNECTION + 150; n++) {
        const rows = await db.get(Messages, { filters: { message_id: { $in: ids(n) } } });
        if (rows.length !== Math.min(n, 50)) expect.fail(`pass ${pass}, $in of ${n}: ${rows.length} rows`);
      }
    }
    const counts = proxy.preparedCounts('botdb-reader');
    expect(Math.max(...counts), `per connection: ${counts.join(', ')}`).to.be.within(1, NAMED_PER_CONNECTION);
  });

  it('writes with many distinct $in lengths in transactions leave at most the bound prepared on the writer', async function () {
    for (let n = 1; n <= NAMED_PER_CONNECTION + 100; n++) {
      expect(await db.update(Messages, { message_id: { $in: ids(n) } }, { memorized_times: n })).to.equal(Math.min(n, 50));
    }
    const counts = proxy.preparedCounts('botdb-writer');
    expect(Math.max(...counts), `per connection: ${counts.join(', ')}`).to.be.within(1, NAMED_PER_CONNECTION);
    expect((await db.get(Messages, { filters: { message_id: 'p-0' }, single: true }))?.memorized_times).to.equal(NAMED_PER_CONNECTION + 100);
  });
});
