import { describe, it } from 'mocha';
import { expect } from 'chai';
import { BotDbError, ChatStreams, Messages, type FilterInput } from '@botdb/core';
import { chatStream, expectCode, message, type SuiteContext } from './context.js';

/** Coded errors for everything the API cannot do, and that a rejected write writes nothing. */
export function errorTests(ctx: SuiteContext): void {
  describe('errors', function () {
    const get = (filters: unknown) => () => ctx.db.get(Messages, { filters: filters as FilterInput });

    it('throws BotDbError instances', async function () {
      const err = await expectCode(get({ nope: 1 }), 'BOTDB_ERR_UNKNOWN_FIELD');
      expect(err).to.be.instanceOf(BotDbError);
    });

    it('rejects an unknown entity', async function () {
      await expectCode(() => ctx.db.get('NoSuchModel'), 'BOTDB_ERR_UNKNOWN_ENTITY');
      await expectCode(() => ctx.db.count({ name: 'Messages' } as never), 'BOTDB_ERR_UNKNOWN_ENTITY');
      await expectCode(() => ctx.db.create('no_such_table', {}), 'BOTDB_ERR_UNKNOWN_ENTITY');
      await expectCode(() => ctx.db.delete(undefined as never, {}), 'BOTDB_ERR_UNKNOWN_ENTITY');
    });

    it('resolves entities by class name and by table name', async function () {
      const chat = ctx.uid('chat');
      await ctx.db.create('Messages', message(chat));
      expect(await ctx.db.count('messages', { chat_id: chat })).to.equal(1);
    });

    it('rejects an unknown field in filters, orderBy, data and updates', async function () {
      await expectCode(get({ chat: 'x' }), 'BOTDB_ERR_UNKNOWN_FIELD');
      await expectCode(() => ctx.db.get(Messages, { orderBy: '-nope' }), 'BOTDB_ERR_UNKNOWN_FIELD');
      await expectCode(() => ctx.db.create(Messages, { ...message(ctx.uid('chat')), nope: 1 } as never), 'BOTDB_ERR_UNKNOWN_FIELD');
      await expectCode(() => ctx.db.update(Messages, { chat_id: 'x' }, { nope: 1 } as never), 'BOTDB_ERR_UNKNOWN_FIELD');
      await expectCode(() => ctx.db.delete(Messages, { nope: 1 }), 'BOTDB_ERR_UNKNOWN_FIELD');
      await expectCode(() => ctx.db.count(Messages, { nope: 1 }), 'BOTDB_ERR_UNKNOWN_FIELD');
    });

    it('rejects an unknown operator', async function () {
      await expectCode(get({ user_id: { $like: 'a%' } }), 'BOTDB_ERR_UNKNOWN_OPERATOR');
      await expectCode(get({ time: { $gt: 1, $between: [1, 2] } }), 'BOTDB_ERR_UNKNOWN_OPERATOR');
      await expectCode(() => ctx.db.delete(Messages, { time: { gt: 1 } }), 'BOTDB_ERR_UNKNOWN_OPERATOR');
    });

    it('rejects filter values of the wrong type', async function () {
      await expectCode(get({ time: 'soon' }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(get({ user_id: 42 }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(get({ is_emoji: 1 }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(get({ memorized_times: 1.5 }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(get({ time: Number.NaN }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(get({ user_id: ['a', 'b'] }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(get({ user_id: { $in: 'a' } }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(get({ user_id: { $in: ['a', 1] } }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(get({ time: { $gt: null } }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(get({ time: undefined }), 'BOTDB_ERR_BAD_VALUE');
    });

    it('rejects malformed filters and orderBy', async function () {
      await expectCode(get([{ chat_id: 'x' }]), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(get('chat_id = 1'), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(get({ time: {} }), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.get(Messages, { orderBy: 5 as never }), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.get(Messages, { orderBy: ['-'] }), 'BOTDB_ERR_BAD_QUERY');
    });

    it('rejects data of the wrong type and missing NOT NULL columns', async function () {
      const chat = ctx.uid('chat');
      await expectCode(() => ctx.db.create(Messages, message(chat, { time: '12' as never })), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => ctx.db.create(Messages, message(chat, { is_emoji: 0 as never })), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => ctx.db.create(Messages, message(chat, { chat_info_platform: null as never })), 'BOTDB_ERR_BAD_VALUE');
      const { message_id: _omitted, ...withoutId } = message(chat);
      await expectCode(() => ctx.db.create(Messages, withoutId), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => ctx.db.create(Messages, 'row' as never), 'BOTDB_ERR_BAD_QUERY');
      expect(await ctx.db.count(Messages, { chat_id: chat })).to.equal(0);
    });

    it('writes nothing when one row of a createMany is bad', async function () {
      const chat = ctx.uid('chat');
      await expectCode(
        () => ctx.db.createMany(Messages, [message(chat, { message_id: 'ok' }), message(chat, { time: 'bad' as never })]),
        'BOTDB_ERR_BAD_VALUE',
      );
      expect(await ctx.db.count(Messages, { chat_id: chat })).to.equal(0);
    });

    it('reports a unique violation as BOTDB_ERR_CONSTRAINT and writes nothing of the batch', async function () {
      const dup = ctx.uid('stream');
      const other = ctx.uid('stream');
      await expectCode(() => ctx.db.createMany(ChatStreams, [chatStream(other), chatStream(dup), chatStream(dup)]), 'BOTDB_ERR_CONSTRAINT');
      expect(await ctx.db.count(ChatStreams, { stream_id: { $in: [dup, other] } })).to.equal(0);
      await ctx.db.create(ChatStreams, chatStream(dup));
      await expectCode(() => ctx.db.create(ChatStreams, chatStream(dup)), 'BOTDB_ERR_CONSTRAINT');
      expect(await ctx.db.count(ChatStreams, { stream_id: dup })).to.equal(1);
    });
  });
}
