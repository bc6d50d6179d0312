import { describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, ImageDescriptions, LLMUsage, Memory, Messages, Schedule, UserRelationships, type FilterInput } from '@botdb/core';
import { chatStream, expectCode, message, sleep, type SuiteContext } from './context.js';

/** create, createMany, update, delete, save and query(). */
export function writeTests(ctx: SuiteContext): void {
  describe('create', function () {
    it('applies the Python-side defaults of chat_streams', async function () {
      const row = await ctx.db.create(ChatStreams, chatStream(ctx.uid('stream')));
      expect(row.id).to.be.a('number');
      expect(row.energy_value).to.equal(5);
      expect(row.sleep_pressure).to.equal(0);
      expect(row.focus_energy).to.equal(0.5);
      expect(row.base_interest_energy).to.equal(0.5);
      expect(row.message_interest_total).to.equal(0);
      expect(row.message_count).to.equal(0);
      expect(row.consecutive_no_reply).to.equal(0);
      expect(row.stream_interest_score).to.equal(0.5);
      // Nullable columns without a default stay NULL.
      expect(row.group_id).to.equal(null);
      expect(row.last_interaction_time).to.equal(null);
    });

    it('applies boolean defaults of messages as false, not 0', async function () {
      const row = await ctx.db.create(Messages, message(ctx.uid('chat')));
      for (const col of ['is_emoji', 'is_picid', 'is_command', 'is_notify', 'is_public_notice', 'should_reply', 'should_act'] as const) {
        expect(row[col], col).to.equal(false);
      }
      expect(row.is_mentioned).to.equal(null);
      expect(row.memorized_times).to.equal(0);
    });

    it('keeps explicit values over defaults', async function () {
      const row = await ctx.db.create(ChatStreams, chatStream(ctx.uid('stream'), { energy_value: 7.25, message_count: 3 }));
      expect(row.energy_value).to.equal(7.25);
      expect(row.message_count).to.equal(3);
    });

    it('gives an explicit null the column’s default, as the Python module did; null stays NULL where there is none', async function () {
      const row = await ctx.db.create(Messages, message(ctx.uid('chat'), { should_reply: null, is_mentioned: null, reply_to: null }));
      expect(row.should_reply).to.equal(false);
      expect(row.is_mentioned).to.equal(null);
      expect(row.reply_to).to.equal(null);
      const stream = await ctx.db.create(ChatStreams, chatStream(ctx.uid('stream'), { sleep_pressure: null, group_id: null }));
      expect(stream.sleep_pressure).to.equal(0);
      expect(stream.group_id).to.equal(null);
    });

    it('defaults llm_usage.timestamp to now', async function () {
      const before = Date.now();
      const row = await ctx.db.create(LLMUsage, {
        model_name: 'gpt', model_assign_name: 'chat', model_api_provider: 'openai', user_id: ctx.uid('user'),
        request_type: 'chat', endpoint: '/v1/chat', prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost: 0.01, status: 'success',
      });
      const after = Date.now();
      expect(row.timestamp).to.be.instanceOf(Date);
      expect(row.timestamp.getTime()).to.be.within(before, after);
    });

    it('defaults user_relationships.created_at to the UTC wall clock, like datetime.utcnow()', async function () {
      const before = Date.now();
      const row = await ctx.db.create(UserRelationships, { user_id: ctx.uid('user') });
      const after = Date.now();
      // Naive text holding the UTC clock reads back as that clock in the database's zone mode.
      const shift = (t: number) => (ctx.db.config.timeZone === 'utc' ? 0 : new Date(t).getTimezoneOffset() * 60_000);
      expect(row.created_at).to.be.instanceOf(Date);
      expect(row.created_at.getTime()).to.be.within(before + shift(before), after + shift(after));
      expect(row.relationship_score).to.equal(0.3);
      expect(row.last_updated).to.be.within(before / 1000, after / 1000);
    });

    it('returns the row as a later read returns it', async function () {
      const row = await ctx.db.create(Messages, message(ctx.uid('chat'), { user_id: 'u1', interest_value: 0.25, is_emoji: true }));
      const read = await ctx.db.get(Messages, { filters: { id: row.id }, single: true });
      expect(read).to.deep.equal(row);
    });
  });

  describe('createMany', function () {
    it('inserts every row and returns them in order with their ids', async function () {
      const chat = ctx.uid('chat');
      const rows = await ctx.db.createMany(Messages, [1, 2, 3].map((i) => message(chat, { message_id: `m${i}`, time: i })));
      expect(rows.map((r) => r.message_id)).to.deep.equal(['m1', 'm2', 'm3']);
      expect(new Set(rows.map((r) => r.id)).size).to.equal(3);
      expect(rows.every((r) => r.is_emoji === false)).to.equal(true);
      expect(await ctx.db.count(Messages, { chat_id: chat })).to.equal(3);
      const read = await ctx.db.get(Messages, { filters: { chat_id: chat }, orderBy: 'time' });
      expect(read).to.deep.equal(rows);
    });

    // Regression: rows with an explicit id were inserted (and returned) after all the others.
    it('returns rows in input order when some carry an explicit id', async function () {
      const key = ctx.uid('mem');
      const taken = (await ctx.db.get(Memory, { orderBy: '-id', limit: 1 }))[0]?.id ?? 0;
      const explicit = taken + 1000 + Math.floor(Math.random() * 1000);
      const rows = await ctx.db.createMany(Memory, [
        { memory_id: key, memory_text: 'a' },
        { id: explicit, memory_id: key, memory_text: 'b' },
        { memory_id: key, memory_text: 'c' },
      ]);
      expect(rows.map((r) => r.memory_text)).to.deep.equal(['a', 'b', 'c']);
      expect(rows[1]?.id).to.equal(explicit);
    });

    it('inserts more rows than one statement can bind', async function () {
      const chat = ctx.uid('chat');
      const rows = await ctx.db.createMany(Messages, Array.from({ length: 2000 }, (_, i) => message(chat, { message_id: `m${i}`, time: i })));
      expect(rows).to.have.length(2000);
      expect(rows.map((r) => r.time)).to.deep.equal(Array.from({ length: 2000 }, (_, i) => i));
      expect(await ctx.db.count(Messages, { chat_id: chat })).to.equal(2000);
      expect(await ctx.db.update(Messages, { chat_id: chat }, { memorized_times: 1 })).to.equal(2000);
      expect(await ctx.db.delete(Messages, { chat_id: chat })).to.equal(2000);
    });

    it('returns [] for no rows', async function () {
      expect(await ctx.db.createMany(Messages, [])).to.deep.equal([]);
    });

    it('rejects something that is not an array', async function () {
      await expectCode(() => ctx.db.createMany(Messages, message(ctx.uid('chat')) as never), 'BOTDB_ERR_BAD_QUERY');
    });
  });

  describe('update', function () {
    it('updates the matching rows and returns how many', async function () {
      const chat = ctx.uid('chat');
      await ctx.db.createMany(Messages, [1, 2, 3].map((i) => message(chat, { message_id: `m${i}`, time: i })));
      const n = await ctx.db.update(Messages, { chat_id: chat, time: { $gte: 2 } }, { processed_plain_text: 'seen', memorized_times: 4 });
      expect(n).to.equal(2);
      const rows = await ctx.db.get(Messages, { filters: { chat_id: chat }, orderBy: 'time' });
      expect(rows.map((r) => r.processed_plain_text)).to.deep.equal([null, 'seen', 'seen']);
      expect(rows.map((r) => r.memorized_times)).to.deep.equal([0, 4, 4]);
    });

    it('returns 0 when nothing matches', async function () {
      expect(await ctx.db.update(Messages, { chat_id: ctx.uid('none') }, { memorized_times: 1 })).to.equal(0);
    });

    it('sets a column to null', async function () {
      const row = await ctx.db.create(Messages, message(ctx.uid('chat'), { reply_to: 'x' }));
      expect(await ctx.db.update(Messages, { id: row.id }, { reply_to: null })).to.equal(1);
      expect((await ctx.db.get(Messages, { filters: { id: row.id }, single: true }))?.reply_to).to.equal(null);
    });

    it('refreshes onupdate columns (schedule.updated_at) and leaves created_at alone', async function () {
      const row = await ctx.db.create(Schedule, { date: ctx.shortId(), schedule_data: '[]' });
      await sleep(15);
      expect(await ctx.db.update(Schedule, { id: row.id }, { schedule_data: '[1]' })).to.equal(1);
      const after = await ctx.db.get(Schedule, { filters: { id: row.id }, single: true });
      expect(after?.schedule_data).to.equal('[1]');
      expect(after?.created_at.getTime()).to.equal(row.created_at.getTime());
      expect(after?.updated_at.getTime()).to.be.greaterThan(row.updated_at.getTime());
    });

    it('keeps an onupdate column the caller sets', async function () {
      const row = await ctx.db.create(Schedule, { date: ctx.shortId(), schedule_data: '[]' });
      const when = new Date(2020, 0, 2, 3, 4, 5, 6);
      await ctx.db.update(Schedule, { id: row.id }, { schedule_data: '[2]', updated_at: when });
      const after = await ctx.db.get(Schedule, { filters: { id: row.id }, single: true });
      expect(after?.updated_at.getTime()).to.equal(when.getTime());
    });

    it('adds to stored numbers with { $inc }, counting NULL as 0', async function () {
      const stream = await ctx.db.create(ChatStreams, chatStream(ctx.uid('stream'), { message_count: 3, last_interaction_time: null, energy_value: 1.5 }));
      const n = await ctx.db.update(ChatStreams, { id: stream.id }, { message_count: { $inc: 2 }, last_interaction_time: { $inc: 0.5 }, energy_value: { $inc: -0.25 } });
      expect(n).to.equal(1);
      const after = await ctx.db.get(ChatStreams, { filters: { id: stream.id }, single: true });
      expect([after?.message_count, after?.last_interaction_time, after?.energy_value]).to.deep.equal([5, 0.5, 1.25]);
    });

    it('applies concurrent { $inc } updates without losing any', async function () {
      const stream = await ctx.db.create(ChatStreams, chatStream(ctx.uid('stream'), { message_count: 0 }));
      await Promise.all(Array.from({ length: 20 }, () => ctx.db.update(ChatStreams, { id: stream.id }, { message_count: { $inc: 1 } })));
      expect((await ctx.db.get(ChatStreams, { filters: { id: stream.id }, single: true }))?.message_count).to.equal(20);
    });

    it('rejects { $inc } on non-number columns, with a bad amount, or with another key', async function () {
      const stream = await ctx.db.create(ChatStreams, chatStream(ctx.uid('stream')));
      await expectCode(() => ctx.db.update(ChatStreams, { id: stream.id }, { user_nickname: { $inc: 1 } } as never), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => ctx.db.update(ChatStreams, { id: stream.id }, { message_count: { $inc: 0.5 } }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => ctx.db.update(ChatStreams, { id: stream.id }, { energy_value: { $inc: Number.NaN } }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => ctx.db.update(ChatStreams, { id: stream.id }, { message_count: { $inc: 1, $mul: 2 } } as never), 'BOTDB_ERR_UNKNOWN_OPERATOR');
      expect(await ctx.db.get(ChatStreams, { filters: { id: stream.id }, single: true })).to.deep.equal(stream);
    });

    it('rejects missing filters, no columns, and the primary key', async function () {
      await expectCode(() => ctx.db.update(Messages, undefined as unknown as FilterInput, { memorized_times: 1 }), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.update(Messages, { chat_id: 'x' }, {}), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.update(Messages, { chat_id: 'x' }, { id: 5 }), 'BOTDB_ERR_BAD_QUERY');
    });

    it('rejects null for a NOT NULL column and leaves the row alone', async function () {
      const row = await ctx.db.create(Messages, message(ctx.uid('chat')));
      await expectCode(() => ctx.db.update(Messages, { id: row.id }, { chat_info_platform: null as unknown as string }), 'BOTDB_ERR_BAD_VALUE');
      expect(await ctx.db.get(Messages, { filters: { id: row.id }, single: true })).to.deep.equal(row);
    });
  });

  describe('updateMany', function () {
    it('runs each update in order and returns each count, as single updates would', async function () {
      const ids = [ctx.uid('um'), ctx.uid('um'), ctx.uid('um')];
      const created = [];
      for (const id of ids) created.push(await ctx.db.create(ChatStreams, chatStream(id, { message_count: 1 })));
      const counts = await ctx.db.updateMany(ChatStreams, [
        { filters: { stream_id: ids[0]! }, data: { message_count: { $inc: 2 }, last_active_time: 9 } },
        { filters: { stream_id: ids[1]! }, data: { message_count: { $inc: 5 }, last_active_time: 8 } },
        { filters: { stream_id: ids[2]! }, data: { user_nickname: 'renamed' } },
        { filters: { stream_id: ctx.uid('absent') }, data: { message_count: 3 } },
      ]);
      expect(counts).to.deep.equal([1, 1, 1, 0]);
      const rows = await ctx.db.get(ChatStreams, { filters: { stream_id: { $in: ids } }, orderBy: 'id', cache: false });
      expect(rows.map((r) => [r.message_count, r.last_active_time])).to.deep.equal([
        [3, 9],
        [6, 8],
        [1, created[2]!.last_active_time],
      ]);
      expect(rows.map((r) => r.user_nickname)).to.deep.equal([created[0]!.user_nickname, created[1]!.user_nickname, 'renamed']);
    });

    it('updates every row a key selects, and the same key twice in order', async function () {
      const chat = ctx.uid('chat');
      await ctx.db.createMany(Messages, [message(chat), message(chat), message(ctx.uid('chat'))]);
      expect(await ctx.db.updateMany(Messages, [{ filters: { chat_id: chat }, data: { memorized_times: { $inc: 1 } } }, { filters: { chat_id: chat }, data: { memorized_times: { $inc: 1 } } }])).to.deep.equal([2, 2]);
      expect((await ctx.db.get(Messages, { filters: { chat_id: chat }, cache: false })).map((m) => m.memorized_times)).to.deep.equal([2, 2]);
    });

    it('is one transaction: a failing update leaves the others undone', async function () {
      const id = ctx.uid('um');
      await ctx.db.create(ChatStreams, chatStream(id, { message_count: 1 }));
      const other = ctx.uid('um');
      await ctx.db.create(ChatStreams, chatStream(other));
      await expectCode(() =>
        ctx.db.updateMany(ChatStreams, [
          { filters: { stream_id: id }, data: { message_count: 7 } },
          { filters: { stream_id: other }, data: { message_count: { $inc: 2 ** 40 } } },
        ]),
        'BOTDB_ERR_BAD_VALUE',
      );
      expect((await ctx.db.get(ChatStreams, { filters: { stream_id: id }, single: true, cache: false }))?.message_count).to.equal(1);
    });

    it('rejects what update rejects, before any write', async function () {
      await expectCode(() => ctx.db.updateMany(ChatStreams, [{ filters: undefined as never, data: { message_count: 1 } }]), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.updateMany(ChatStreams, {} as never), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.updateMany(ChatStreams, [{ filters: { nope: 1 }, data: { message_count: 1 } }]), 'BOTDB_ERR_UNKNOWN_FIELD');
      expect(await ctx.db.updateMany(ChatStreams, [])).to.deep.equal([]);
    });
  });

  describe('delete', function () {
    it('deletes the matching rows and returns how many', async function () {
      const chat = ctx.uid('chat');
      await ctx.db.createMany(Messages, [1, 2, 3].map((i) => message(chat, { message_id: `m${i}`, time: i })));
      expect(await ctx.db.delete(Messages, { chat_id: chat, time: { $lt: 3 } })).to.equal(2);
      const rest = await ctx.db.get(Messages, { filters: { chat_id: chat } });
      expect(rest.map((r) => r.message_id)).to.deep.equal(['m3']);
      expect(await ctx.db.delete(Messages, { chat_id: chat, time: { $lt: 3 } })).to.equal(0);
    });

    it('deletes every row with {}', async function () {
      await ctx.db.createMany(ImageDescriptions, [1, 2, 3].map((i) => ({ type: 'emoji', image_description_hash: ctx.uid('hash'), description: `d${i}`, timestamp: i })));
      const before = await ctx.db.count(ImageDescriptions, {});
      expect(before).to.be.at.least(3);
      expect(await ctx.db.delete(ImageDescriptions, {})).to.equal(before);
      expect(await ctx.db.count(ImageDescriptions, {})).to.equal(0);
    });

    it('rejects missing filters instead of deleting everything', async function () {
      const chat = ctx.uid('chat');
      await ctx.db.create(Messages, message(chat));
      await expectCode(() => ctx.db.delete(Messages, undefined as unknown as FilterInput), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.delete(Messages, null as unknown as FilterInput), 'BOTDB_ERR_BAD_QUERY');
      expect(await ctx.db.count(Messages, { chat_id: chat })).to.equal(1);
    });
  });

  describe('save', function () {
    it('updates the row whose keyField matches', async function () {
      const key = ctx.uid('mem');
      const first = await ctx.db.create(Memory, { memory_id: key, memory_text: 'old' });
      const saved = await ctx.db.save(Memory, { memory_id: key, memory_text: 'new' }, { keyField: 'memory_id', keyValue: key });
      expect(saved.id).to.equal(first.id);
      expect(saved.memory_text).to.equal('new');
      expect(await ctx.db.count(Memory, { memory_id: key })).to.equal(1);
      expect((await ctx.db.get(Memory, { filters: { id: first.id }, single: true }))?.memory_text).to.equal('new');
    });

    it('updates only the first of several matches', async function () {
      const key = ctx.uid('mem');
      await ctx.db.createMany(Memory, [{ memory_id: key, memory_text: 'a' }, { memory_id: key, memory_text: 'b' }]);
      await ctx.db.save(Memory, { memory_id: key, memory_text: 'c' }, { keyField: 'memory_id', keyValue: key });
      const texts = (await ctx.db.get(Memory, { filters: { memory_id: key } })).map((r) => r.memory_text).sort();
      expect(texts).to.have.length(2);
      expect(texts.filter((t) => t === 'c')).to.have.length(1);
    });

    it('inserts when no row matches, with defaults', async function () {
      const stream = ctx.uid('stream');
      const saved = await ctx.db.save(ChatStreams, chatStream(stream), { keyField: 'stream_id', keyValue: stream });
      expect(saved.stream_id).to.equal(stream);
      expect(saved.energy_value).to.equal(5);
      expect(await ctx.db.get(ChatStreams, { filters: { stream_id: stream }, single: true })).to.deep.equal(saved);
    });

    it('inserts without a keyField', async function () {
      const key = ctx.uid('mem');
      await ctx.db.save(Memory, { memory_id: key });
      await ctx.db.save(Memory, { memory_id: key });
      expect(await ctx.db.count(Memory, { memory_id: key })).to.equal(2);
    });

    it('rejects an unknown keyField', async function () {
      await expectCode(() => ctx.db.save(Memory, { memory_id: 'x' }, { keyField: 'nope', keyValue: 1 }), 'BOTDB_ERR_UNKNOWN_FIELD');
    });
  });

  describe('query()', function () {
    it('dispatches create, get, count, update and delete', async function () {
      const db = ctx.db;
      const chat = ctx.uid('chat');
      const created = (await db.query(Messages, { type: 'create', data: message(chat, { time: 1 }) })) as { id: number };
      expect(created.id).to.be.a('number');
      await db.query(Messages, { type: 'create', data: message(chat, { time: 2 }) });
      expect(await db.query(Messages, { type: 'count', filters: { chat_id: chat } })).to.equal(2);
      const rows = (await db.query(Messages, { type: 'get', filters: { chat_id: chat }, orderBy: '-time' })) as { time: number }[];
      expect(rows.map((r) => r.time)).to.deep.equal([2, 1]);
      const one = (await db.query(Messages, { type: 'get', filters: { chat_id: chat, time: 1 }, single: true })) as { id: number } | null;
      expect(one?.id).to.equal(created.id);
      expect(await db.query(Messages, { type: 'update', filters: { chat_id: chat }, data: { memorized_times: 9 } })).to.equal(2);
      expect(await db.count(Messages, { chat_id: chat, memorized_times: 9 })).to.equal(2);
      expect(await db.query(Messages, { type: 'delete', filters: { chat_id: chat, time: 2 } })).to.equal(1);
      expect(await db.count(Messages, { chat_id: chat })).to.equal(1);
    });

    it('rejects an unknown type, a missing type and missing data', async function () {
      await expectCode(() => ctx.db.query(Messages, { type: 'upsert' as never }), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.query(Messages, {} as never), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.query(Messages, null as never), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.query(Messages, { type: 'create' }), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => ctx.db.query(Messages, { type: 'update', filters: { chat_id: 'x' } }), 'BOTDB_ERR_BAD_QUERY');
    });
  });
}
