import { describe, it } from 'mocha';
import { expect } from 'chai';
import { LLMUsage, MaiZoneScheduleStatus, Messages, NapcatBanRecord, type LLMUsageRow } from '@botdb/core';
import { expectCode, message, naiveDate, type SuiteContext } from './context.js';

/** How values of each column kind cross the API: DateTime, booleans, numbers, text. */
export function valueTests(ctx: SuiteContext): void {
  function usage(userId: string, timestamp?: Date | string): Partial<LLMUsageRow> {
    return {
      model_name: 'm', model_assign_name: 'a', model_api_provider: 'p', user_id: userId, request_type: 'r', endpoint: 'e',
      prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, cost: 0.5, status: 'success',
      ...(timestamp === undefined ? {} : { timestamp: timestamp as Date }),
    };
  }

  describe('DateTime', function () {
    it('round-trips a Date at millisecond precision', async function () {
      const user = ctx.uid('user');
      const when = new Date(2024, 6, 15, 13, 14, 15, 678);
      const row = await ctx.db.create(LLMUsage, usage(user, when));
      expect(row.timestamp.getTime()).to.equal(when.getTime());
      const read = await ctx.db.get(LLMUsage, { filters: { user_id: user }, single: true });
      expect(read?.timestamp).to.be.instanceOf(Date);
      expect(read?.timestamp.getTime()).to.equal(when.getTime());
    });

    it('filters by a Date with equality and ranges', async function () {
      const user = ctx.uid('user');
      const base = new Date(2024, 0, 10, 12, 0, 0, 0);
      const times = [0, 1, 2].map((i) => new Date(base.getTime() + i * 1001));
      await ctx.db.createMany(LLMUsage, times.map((t) => usage(user, t)));
      const count = (filter: unknown) => ctx.db.count(LLMUsage, { user_id: user, timestamp: filter });
      expect(await count(times[1])).to.equal(1);
      expect(await count({ $gt: times[0] })).to.equal(2);
      expect(await count({ $lte: times[1] })).to.equal(2);
      expect(await count({ $in: [times[0], times[2]] })).to.equal(2);
      expect(await count({ $gt: new Date(times[2]!.getTime() + 1) })).to.equal(0);
    });

    it('accepts naive text and keeps its microseconds in the database', async function () {
      const user = ctx.uid('user');
      const row = await ctx.db.create(LLMUsage, usage(user, '2024-03-04 05:06:07.123456'));
      // Read back as a Date, the microseconds beyond the millisecond are dropped...
      expect(row.timestamp.getTime()).to.equal(naiveDate(ctx.db, 2024, 3, 4, 5, 6, 7, 123).getTime());
      // ...but the database compares all six digits.
      const count = (filter: unknown) => ctx.db.count(LLMUsage, { user_id: user, timestamp: filter });
      expect(await count('2024-03-04 05:06:07.123456')).to.equal(1);
      expect(await count('2024-03-04T05:06:07.123456')).to.equal(1);
      expect(await count('2024-03-04 05:06:07.123')).to.equal(0);
      expect(await count({ $gt: '2024-03-04 05:06:07.123455' })).to.equal(1);
      expect(await count({ $gt: '2024-03-04 05:06:07.123456' })).to.equal(0);
      expect(await count({ $gte: '2024-03-04 05:06:07.123456' })).to.equal(1);
      expect(await count({ $lt: '2024-03-04 05:06:07.123457' })).to.equal(1);
    });

    it('accepts naive text without a fraction or with fewer digits', async function () {
      const user = ctx.uid('user');
      const a = await ctx.db.create(LLMUsage, usage(user, '2024-03-04 05:06:07'));
      const b = await ctx.db.create(LLMUsage, usage(user, '2024-03-04T05:06:07.5'));
      expect(a.timestamp.getTime()).to.equal(naiveDate(ctx.db, 2024, 3, 4, 5, 6, 7, 0).getTime());
      expect(b.timestamp.getTime()).to.equal(naiveDate(ctx.db, 2024, 3, 4, 5, 6, 7, 500).getTime());
      expect(await ctx.db.count(LLMUsage, { user_id: user, timestamp: '2024-03-04 05:06:07.500000' })).to.equal(1);
    });

    it('compares a Date filter with naive text in the database', async function () {
      const user = ctx.uid('user');
      await ctx.db.create(LLMUsage, usage(user, '2024-03-04 05:06:07.250000'));
      const d = naiveDate(ctx.db, 2024, 3, 4, 5, 6, 7, 250);
      expect(await ctx.db.count(LLMUsage, { user_id: user, timestamp: d })).to.equal(1);
    });

    it('round-trips NULL in a nullable DateTime column', async function () {
      const hour = ctx.shortId();
      const row = await ctx.db.create(MaiZoneScheduleStatus, { datetime_hour: hour, activity: 'sleep', processed_at: null });
      expect(row.processed_at).to.equal(null);
      expect(row.created_at).to.be.instanceOf(Date);
      expect(await ctx.db.count(MaiZoneScheduleStatus, { datetime_hour: hour, processed_at: null })).to.equal(1);
    });

    it('rejects malformed DateTime text and invalid Dates', async function () {
      await expectCode(() => ctx.db.create(LLMUsage, usage(ctx.uid('user'), 'yesterday')), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => ctx.db.create(LLMUsage, usage(ctx.uid('user'), new Date(Number.NaN))), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => ctx.db.get(LLMUsage, { filters: { timestamp: { $gt: '2024-13-45' } } }), 'BOTDB_ERR_BAD_VALUE');
    });
  });

  describe('booleans and numbers', function () {
    it('round-trips true, false and null as booleans', async function () {
      const chat = ctx.uid('chat');
      const row = await ctx.db.create(Messages, message(chat, { is_emoji: true, is_command: false, is_mentioned: null, should_reply: true }));
      const read = await ctx.db.get(Messages, { filters: { id: row.id }, single: true });
      expect(read?.is_emoji).to.equal(true);
      expect(read?.is_command).to.equal(false);
      expect(read?.is_mentioned).to.equal(null);
      expect(read?.should_reply).to.equal(true);
    });

    it('filters on booleans', async function () {
      const chat = ctx.uid('chat');
      await ctx.db.createMany(Messages, [
        message(chat, { is_emoji: true, is_mentioned: true }),
        message(chat, { is_emoji: false, is_mentioned: null }),
        message(chat, { is_emoji: true, is_mentioned: false }),
      ]);
      expect(await ctx.db.count(Messages, { chat_id: chat, is_emoji: true })).to.equal(2);
      expect(await ctx.db.count(Messages, { chat_id: chat, is_emoji: false })).to.equal(1);
      expect(await ctx.db.count(Messages, { chat_id: chat, is_mentioned: null })).to.equal(1);
      expect(await ctx.db.count(Messages, { chat_id: chat, is_mentioned: { $ne: true } })).to.equal(1);
      expect(await ctx.db.count(Messages, { chat_id: chat, is_mentioned: { $in: [true, false] } })).to.equal(2);
    });

    it('updates a boolean and reads it back as a boolean', async function () {
      const row = await ctx.db.create(Messages, message(ctx.uid('chat')));
      await ctx.db.update(Messages, { id: row.id }, { is_notify: true, should_act: null });
      const read = await ctx.db.get(Messages, { filters: { id: row.id }, single: true });
      expect(read?.is_notify).to.equal(true);
      expect(read?.should_act).to.equal(null);
    });

    it('round-trips floats, integers and big integers exactly', async function () {
      const chat = ctx.uid('chat');
      const row = await ctx.db.create(Messages, message(chat, { time: 1_727_000_000.123456, interest_value: -0.1, memorized_times: 2_147_483_647 }));
      const read = await ctx.db.get(Messages, { filters: { id: row.id }, single: true });
      expect(read?.time).to.equal(1_727_000_000.123456);
      expect(read?.interest_value).to.equal(-0.1);
      expect(read?.memorized_times).to.equal(2_147_483_647);
      const group = 900_000_000_000 + Math.floor(Math.random() * 1_000_000);
      const ban = await ctx.db.create(NapcatBanRecord, { group_id: group, user_id: 3_752_941_191, lift_time: null });
      expect(ban.group_id).to.equal(group);
      expect(ban.user_id).to.equal(3_752_941_191);
      expect(await ctx.db.count(NapcatBanRecord, { group_id: { $gte: group, $lte: group } })).to.equal(1);
    });

    it('round-trips text with quotes, newlines and characters outside the BMP', async function () {
      const text = `it's "quoted"\n\t😀 ﬁ 中文 \\ %_`;
      const row = await ctx.db.create(Messages, message(ctx.uid('chat'), { processed_plain_text: text }));
      const read = await ctx.db.get(Messages, { filters: { processed_plain_text: text, id: row.id }, single: true });
      expect(read?.processed_plain_text).to.equal(text);
    });
  });
}
