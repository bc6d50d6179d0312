import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, createDatabase, Messages, type Database } from '@botdb/core';
import { dropSchemas, startPgProxy, type CommitFault, type PgProxy } from '@botdb/test-suite';
import { BatchPlugin } from '@botdb/batch';
import { message, PG_URL, skipUnless, stream } from './support.js';

/** How each promise settled: 'ok' or its error code. */
function outcomes(promises: readonly Promise<unknown>[]): Promise<string[]> {
  return Promise.all(promises.map((p) => p.then(() => 'ok', (e: { code?: string }) => e.code ?? String(e))));
}

describe('BatchPlugin on PostgreSQL: a flush whose COMMIT reply is lost', function () {
  this.timeout(60_000);
  let proxy: PgProxy;
  let db: Database;
  const schema = `botdb_t_bcommit_${randomBytes(4).toString('hex')}`;

  before(async function () {
    skipUnless(this, PG_URL, 'BOTDB_PG_URL');
    proxy = await startPgProxy(PG_URL!);
    db = await createDatabase({ url: proxy.url, postgresql: { schema }, plugins: [new BatchPlugin()] });
  });

  after(async function () {
    if (PG_URL === undefined) return;
    proxy.refuse = false;
    await db.close();
    await proxy.close();
    await dropSchemas(PG_URL, [schema]);
  });

  /** 40 inserts and 20 increments of one counter, issued together (one flush), its COMMIT meeting `fault`. */
  async function burst(chat: string, fault: CommitFault): Promise<Promise<unknown>[]> {
    await db.create(ChatStreams, stream(chat, { message_count: 0 }));
    proxy.failNextCommit(fault);
    return [
      ...Array.from({ length: 40 }, (_, i) => db.create(Messages, message(chat, i))),
      ...Array.from({ length: 20 }, () => db.update(ChatStreams, { stream_id: chat }, { message_count: { $inc: 1 } })),
    ];
  }

  async function stored(chat: string): Promise<{ rows: number; distinct: number; counter: unknown }> {
    const rows = await db.get(Messages, { filters: { chat_id: chat } });
    const counter = (await db.get(ChatStreams, { filters: { stream_id: chat }, single: true }))?.message_count;
    return { rows: rows.length, distinct: new Set(rows.map((r) => r.message_id)).size, counter };
  }

  it('the COMMIT went through: every write resolves, each row is stored once, increments are exact', async function () {
    const writes = await burst('lost', 'lose-reply');
    const settled = await outcomes(writes);
    await proxy.struck();
    expect(settled.filter((s) => s !== 'ok')).to.deep.equal([]);
    expect(await stored('lost')).to.deep.equal({ rows: 40, distinct: 40, counter: 20 });
  });

  it('the COMMIT never reached the server: the flush is retried, each row is stored once', async function () {
    const writes = await burst('dropped', 'drop');
    const settled = await outcomes(writes);
    await proxy.struck();
    expect(settled.filter((s) => s !== 'ok')).to.deep.equal([]);
    expect(await stored('dropped')).to.deep.equal({ rows: 40, distinct: 40, counter: 20 });
  });

  it('the outcome cannot be decided: every write rejects with BOTDB_ERR_COMMIT_UNKNOWN and none is retried', async function () {
    const writes = await burst('unknown', 'lose-reply');
    await proxy.struck();
    proxy.refuse = true;
    const settled = await outcomes(writes);
    proxy.refuse = false;
    expect(new Set(settled)).to.deep.equal(new Set(['BOTDB_ERR_COMMIT_UNKNOWN']));
    // The flush had committed, once: nothing ran it again.
    expect(await stored('unknown')).to.deep.equal({ rows: 40, distinct: 40, counter: 20 });
  });
});
