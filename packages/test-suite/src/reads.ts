import { describe, it, before } from 'mocha';
import { expect } from 'chai';
import { Messages, type FilterInput, type MessagesRow } from '@botdb/core';
import { expectCode, message, type SuiteContext } from './context.js';

/** db.get filters, orderBy, limit, single, and count. */
export function readTests(ctx: SuiteContext): void {
  // Five messages of one chat, read-only for every test below.
  //   m1 t=1 user a  reply_to null interest null
  //   m2 t=2 user b  reply_to m1   interest 1
  //   m3 t=3 user c  reply_to null interest 2
  //   m4 t=4 user -  reply_to m2   interest 3
  //   m5 t=5 user a  reply_to m3   interest null
  let chat = '';
  let created: MessagesRow[] = [];

  before(async function () {
    chat = ctx.uid('chat');
    created = await ctx.db.createMany(Messages, [
      message(chat, { message_id: 'm1', time: 1, user_id: 'a', reply_to: null, interest_value: null }),
      message(chat, { message_id: 'm2', time: 2, user_id: 'b', reply_to: 'm1', interest_value: 1 }),
      message(chat, { message_id: 'm3', time: 3, user_id: 'c', reply_to: null, interest_value: 2 }),
      message(chat, { message_id: 'm4', time: 4, user_id: null, reply_to: 'm2', interest_value: 3 }),
      message(chat, { message_id: 'm5', time: 5, user_id: 'a', reply_to: 'm3', interest_value: null }),
    ]);
  });

  /** The message ids (sorted) that `filters` selects within this chat. */
  async function ids(filters: FilterInput): Promise<string[]> {
    const rows = await ctx.db.get(Messages, { filters: { chat_id: chat, ...filters } });
    return rows.map((r) => r.message_id).sort();
  }

  /** The message ids in the order the database returned them. */
  async function ordered(orderBy: string | string[], limit?: number): Promise<string[]> {
    const rows = await ctx.db.get(Messages, { filters: { chat_id: chat }, orderBy, limit });
    return rows.map((r) => r.message_id);
  }

  describe('get: filters', function () {
    it('creates the fixture rows', function () {
      expect(created.map((r) => r.message_id)).to.deep.equal(['m1', 'm2', 'm3', 'm4', 'm5']);
    });

    it('selects by equality on text and on float columns', async function () {
      expect(await ids({ user_id: 'a' })).to.deep.equal(['m1', 'm5']);
      expect(await ids({ time: 3 })).to.deep.equal(['m3']);
      expect(await ids({ user_id: 'zzz' })).to.deep.equal([]);
    });

    it('selects every row of the chat with no further filter', async function () {
      expect(await ids({})).to.deep.equal(['m1', 'm2', 'm3', 'm4', 'm5']);
    });

    it('treats null as IS NULL', async function () {
      expect(await ids({ reply_to: null })).to.deep.equal(['m1', 'm3']);
      expect(await ids({ user_id: null })).to.deep.equal(['m4']);
    });

    it('treats { $ne: null } as IS NOT NULL', async function () {
      expect(await ids({ reply_to: { $ne: null } })).to.deep.equal(['m2', 'm4', 'm5']);
    });

    it('compares with $gt, $gte, $lt and $lte', async function () {
      expect(await ids({ time: { $gt: 3 } })).to.deep.equal(['m4', 'm5']);
      expect(await ids({ time: { $gte: 3 } })).to.deep.equal(['m3', 'm4', 'm5']);
      expect(await ids({ time: { $lt: 3 } })).to.deep.equal(['m1', 'm2']);
      expect(await ids({ time: { $lte: 3 } })).to.deep.equal(['m1', 'm2', 'm3']);
      expect(await ids({ user_id: { $gt: 'a' } })).to.deep.equal(['m2', 'm3']);
    });

    it('excludes NULL rows from $ne', async function () {
      expect(await ids({ interest_value: { $ne: 1 } })).to.deep.equal(['m3', 'm4']);
      expect(await ids({ user_id: { $ne: 'a' } })).to.deep.equal(['m2', 'm3']);
    });

    it('never matches NULL with a comparison', async function () {
      expect(await ids({ interest_value: { $lt: 100 } })).to.deep.equal(['m2', 'm3', 'm4']);
    });

    it('selects with $in and $nin', async function () {
      expect(await ids({ user_id: { $in: ['a', 'c'] } })).to.deep.equal(['m1', 'm3', 'm5']);
      expect(await ids({ time: { $in: [2, 4, 99] } })).to.deep.equal(['m2', 'm4']);
      expect(await ids({ user_id: { $nin: ['a'] } })).to.deep.equal(['m2', 'm3']);
    });

    it('never matches NULL with a null inside $in', async function () {
      expect(await ids({ user_id: { $in: ['b', null] } })).to.deep.equal(['m2']);
    });

    it('matches nothing with an empty $in and everything with an empty $nin', async function () {
      expect(await ids({ user_id: { $in: [] } })).to.deep.equal([]);
      expect(await ids({ user_id: { $nin: [] } })).to.deep.equal(['m1', 'm2', 'm3', 'm4', 'm5']);
    });

    it('ANDs several operators on one field', async function () {
      expect(await ids({ time: { $gt: 1, $lte: 4, $ne: 3 } })).to.deep.equal(['m2', 'm4']);
      expect(await ids({ time: { $gte: 2, $lt: 2 } })).to.deep.equal([]);
    });

    it('ANDs conditions on several fields', async function () {
      expect(await ids({ user_id: 'a', time: { $gt: 1 } })).to.deep.equal(['m5']);
      expect(await ids({ user_id: 'a', reply_to: null })).to.deep.equal(['m1']);
    });
  });

  describe('get: orderBy, limit, single', function () {
    it('orders descending with "-column"', async function () {
      expect(await ordered('-time')).to.deep.equal(['m5', 'm4', 'm3', 'm2', 'm1']);
    });

    it('orders ascending with "column"', async function () {
      expect(await ordered('time')).to.deep.equal(['m1', 'm2', 'm3', 'm4', 'm5']);
    });

    it('orders by a list of terms, NULLs first ascending and last descending', async function () {
      expect(await ordered(['user_id', '-time'])).to.deep.equal(['m4', 'm5', 'm1', 'm2', 'm3']);
      expect(await ordered(['-user_id', 'time'])).to.deep.equal(['m3', 'm2', 'm1', 'm5', 'm4']);
    });

    it('limits the number of rows', async function () {
      expect(await ordered('time', 2)).to.deep.equal(['m1', 'm2']);
      expect(await ordered('-time', 1)).to.deep.equal(['m5']);
    });

    it('treats limit 0 as no limit', async function () {
      expect(await ordered('time', 0)).to.have.length(5);
    });

    it('rejects a negative or fractional limit', async function () {
      await expectCode(() => ctx.db.get(Messages, { filters: { chat_id: chat }, limit: -1 }), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.get(Messages, { filters: { chat_id: chat }, limit: 1.5 }), 'BOTDB_ERR_BAD_QUERY');
    });

    it('returns one row with single', async function () {
      const row = await ctx.db.get(Messages, { filters: { chat_id: chat }, orderBy: '-time', single: true });
      expect(row).to.not.be.an('array');
      expect(row?.message_id).to.equal('m5');
      expect(row).to.deep.equal(created[4]);
    });

    it('returns null with single when nothing matches', async function () {
      const row = await ctx.db.get(Messages, { filters: { chat_id: chat, user_id: 'nobody' }, single: true });
      expect(row).to.equal(null);
    });

    it('returns an empty list when nothing matches', async function () {
      expect(await ctx.db.get(Messages, { filters: { chat_id: ctx.uid('empty') } })).to.deep.equal([]);
    });

    it('returns rows equal to the created ones', async function () {
      const rows = await ctx.db.get(Messages, { filters: { chat_id: chat }, orderBy: 'time' });
      expect(rows).to.deep.equal(created);
    });
  });

  describe('count', function () {
    it('counts the rows a filter selects', async function () {
      expect(await ctx.db.count(Messages, { chat_id: chat })).to.equal(5);
      expect(await ctx.db.count(Messages, { chat_id: chat, user_id: 'a' })).to.equal(2);
      expect(await ctx.db.count(Messages, { chat_id: chat, user_id: { $in: [] } })).to.equal(0);
      expect(await ctx.db.count(Messages, { chat_id: ctx.uid('none') })).to.equal(0);
    });

    it('counts every row without filters', async function () {
      const all = await ctx.db.count(Messages);
      expect(all).to.be.a('number');
      expect(all).to.be.at.least(5);
    });
  });
}
