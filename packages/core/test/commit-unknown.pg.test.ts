import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, createDatabase, Messages, type CommitContext, type Database } from '../src/index.js';
// @botdb/test-suite depends on core; core's tests import it by path (see conformance.test.ts).
import { dropSchemas, PG_URL, skipUnless, startPgProxy, type PgProxy } from '../../test-suite/src/index.js';

function message(chat: string, n: number): Record<string, unknown> {
  return {
    message_id: `m-${chat}-${n}`, time: n, chat_id: chat, chat_info_stream_id: chat, chat_info_platform: 'qq', chat_info_user_platform: 'qq',
    chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1, chat_info_last_active_time: 1, processed_plain_text: `t${n}`,
  };
}

describe('PostgreSQL: a COMMIT whose reply is lost (direct writes)', function () {
  this.timeout(60_000);
  let proxy: PgProxy;
  let db: Database;
  let commits: CommitContext[];
  const schema = `botdb_t_commit_${randomBytes(4).toString('hex')}`;

  before(async function () {
    skipUnless(this, PG_URL, 'BOTDB_PG_URL');
    proxy = await startPgProxy(PG_URL!);
    db = await createDatabase({ url: proxy.url, postgresql: { schema } });
    commits = [];
    db.pipeline.hooks.committed.tapPromise('test-commits', async (ctx) => {
      commits.push(ctx);
    });
  });

  after(async function () {
    if (PG_URL === undefined) return;
    proxy.refuse = false;
    await db.close();
    await proxy.close();
    await dropSchemas(PG_URL, [schema]);
  });

  it('the COMMIT went through but its reply was lost: the write resolves, is stored once, and fires committed', async function () {
    commits.length = 0;
    proxy.failNextCommit('lose-reply');
    const row = await db.create(Messages, message('lost', 1));
    expect(row.message_id).to.equal('m-lost-1');
    expect(await db.count(Messages, { message_id: 'm-lost-1' })).to.equal(1);
    expect(commits.flatMap((c) => c.changes.map((ch) => ch.after?.message_id))).to.deep.equal(['m-lost-1']);
  });

  it('an update whose COMMIT reply was lost resolves with its count and applies once', async function () {
    await db.create(ChatStreams, { stream_id: 'lost-inc', create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n', message_count: 0 });
    proxy.failNextCommit('lose-reply');
    expect(await db.update(ChatStreams, { stream_id: 'lost-inc' }, { message_count: { $inc: 5 } })).to.equal(1);
    expect((await db.get(ChatStreams, { filters: { stream_id: 'lost-inc' }, single: true }))?.message_count).to.equal(5);
  });

  it('the COMMIT never reached the server: the write rejects and nothing is stored', async function () {
    proxy.failNextCommit('drop');
    const outcome = await db.create(Messages, message('dropped', 1)).then(
      () => 'resolved',
      (e: { code?: string }) => e.code,
    );
    expect(outcome).to.equal('BOTDB_ERR_QUERY');
    expect(await db.count(Messages, { message_id: 'm-dropped-1' })).to.equal(0);
  });

  it('the outcome cannot be decided (the server cannot be reached after the COMMIT): BOTDB_ERR_COMMIT_UNKNOWN', async function () {
    proxy.failNextCommit('lose-reply');
    const write = db.create(Messages, message('unknown', 1)).then(
      () => 'resolved',
      (e: { code?: string }) => e.code,
    );
    await proxy.struck();
    proxy.refuse = true;
    const outcome = await write;
    proxy.refuse = false;
    expect(outcome).to.equal('BOTDB_ERR_COMMIT_UNKNOWN');
    // It did commit: the caller was told it may have.
    expect(await db.count(Messages, { message_id: 'm-unknown-1' })).to.equal(1);
  });
});
