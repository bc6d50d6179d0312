import { it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, type Database } from '@botdb/core';
import { BatchPlugin } from '@botdb/batch';
import { stream } from './support.js';

/**
 * Issue order across sessions and transactions: a batched write issued (not awaited) before a
 * session or transaction that changes the same row applies before it. `open` opens a database
 * with a `BatchPlugin` that batches ChatStreams updates (the default).
 */
export function writeOrderTests(open: () => Promise<Database>): void {
  async function nickname(db: Database, id: string): Promise<unknown> {
    return (await db.get(ChatStreams, { filters: { stream_id: id }, single: true }))?.user_nickname;
  }

  it('an update queued before a session that sets the same column applies before it: the session’s value stays', async function () {
    const db = await open();
    await db.create(ChatStreams, stream('order-session'));
    const queued = db.update(ChatStreams, { stream_id: 'order-session' }, { user_nickname: 'queued', message_count: { $inc: 1 } });
    await db.session(async (em) => {
      await em.nativeUpdate('ChatStreams', { stream_id: 'order-session' }, { user_nickname: 'session' });
    });
    expect(await queued).to.equal(1);
    expect(await nickname(db, 'order-session')).to.equal('session');
  });

  it('an update queued before db.transaction that sets the same column applies before it (both kinds)', async function () {
    const db = await open();
    for (const ambient of [true, false]) {
      const id = `order-tx-${ambient}`;
      await db.create(ChatStreams, stream(id));
      const queued = db.update(ChatStreams, { stream_id: id }, { user_nickname: 'queued' });
      await db.transaction(
        async (tx) => {
          await tx.update(ChatStreams, { stream_id: id }, { user_nickname: 'transaction' });
        },
        { ambient },
      );
      await queued;
      expect(await nickname(db, id), `ambient: ${ambient}`).to.equal('transaction');
    }
  });

  it('an update queued before a direct write of the same row (a kind the plugin does not take) applies before it', async function () {
    const db = await open();
    await db.create(ChatStreams, stream('order-direct'));
    const queued = db.update(ChatStreams, { stream_id: 'order-direct' }, { user_nickname: 'queued' });
    // Saves of ChatStreams are not batched: this one goes straight to the database.
    await db.save(ChatStreams, { user_nickname: 'saved' }, { keyField: 'stream_id', keyValue: 'order-direct' });
    await queued;
    expect(await nickname(db, 'order-direct')).to.equal('saved');
  });

  it('a session waits only for writes issued before it; batching goes on for the rest', async function () {
    const db = await open();
    await db.create(ChatStreams, stream('order-many'));
    const before = BatchPlugin.getStats(db)!.batches;
    const queued = Array.from({ length: 10 }, (_, i) => db.update(ChatStreams, { stream_id: 'order-many' }, { user_nickname: `q${i}`, message_count: { $inc: 1 } }));
    await db.session(async () => {
      expect(BatchPlugin.getStats(db)!.queueDepth, 'everything issued before has committed').to.equal(0);
      await db.update(ChatStreams, { stream_id: 'order-many' }, { user_nickname: 'session' });
    });
    await Promise.all(queued);
    expect(BatchPlugin.getStats(db)!.batches - before, 'the ten queued updates still went as one flush').to.equal(1);
    const row = await db.get(ChatStreams, { filters: { stream_id: 'order-many' }, single: true });
    expect([row?.user_nickname, row?.message_count]).to.deep.equal(['session', 10]);
  });
}
