import { describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, LLMUsage, Memory, Messages, UserRelationships, type LLMUsageRow, type MessagesRow } from '@botdb/core';
import { chatStream, expectCode, message, type SuiteContext } from './context.js';

/** db.session(): commit, rollback, nesting, and data API calls that join the transaction. */
export function sessionTests(ctx: SuiteContext): void {
  describe('session', function () {
    async function memories(key: string): Promise<string[]> {
      return (await ctx.db.get(Memory, { filters: { memory_id: key } })).map((r) => r.memory_text ?? '').sort();
    }

    it('commits on return and returns fn’s value', async function () {
      const key = ctx.uid('mem');
      const result = await ctx.db.session(async (em) => {
        await ctx.db.create(Memory, { memory_id: key, memory_text: 'api' });
        em.create(Memory, { memory_id: key, memory_text: 'em' });
        return 42;
      });
      expect(result).to.equal(42);
      expect(await memories(key)).to.deep.equal(['api', 'em']);
    });

    it('rolls back everything on throw and rethrows the same error', async function () {
      const key = ctx.uid('mem');
      const existing = await ctx.db.create(Memory, { memory_id: key, memory_text: 'before' });
      const boom = new Error('boom');
      let caught: unknown;
      try {
        await ctx.db.session(async (em) => {
          await ctx.db.create(Memory, { memory_id: key, memory_text: 'api' });
          await ctx.db.update(Memory, { id: existing.id }, { memory_text: 'changed' });
          em.create(Memory, { memory_id: key, memory_text: 'em' });
          await em.flush();
          throw boom;
        });
      } catch (e) {
        caught = e;
      }
      expect(caught).to.equal(boom);
      expect(await memories(key)).to.deep.equal(['before']);
    });

    it('lets data API calls inside a session see its uncommitted writes', async function () {
      const chat = ctx.uid('chat');
      const seen = await ctx.db.session(async () => {
        await ctx.db.create(Messages, message(chat, { time: 1 }));
        await ctx.db.createMany(Messages, [message(chat, { time: 2 }), message(chat, { time: 3 })]);
        await ctx.db.update(Messages, { chat_id: chat, time: 3 }, { memorized_times: 7 });
        const rows = await ctx.db.get(Messages, { filters: { chat_id: chat }, orderBy: 'time' });
        return { count: await ctx.db.count(Messages, { chat_id: chat }), rows };
      });
      expect(seen.count).to.equal(3);
      expect(seen.rows.map((r) => r.memorized_times)).to.deep.equal([0, 0, 7]);
    });

    it('flushes persisted entities before a data API read in the session', async function () {
      const key = ctx.uid('mem');
      const count = await ctx.db.session(async (em) => {
        em.create(Memory, { memory_id: key, memory_text: 'pending' });
        return ctx.db.count(Memory, { memory_id: key });
      });
      expect(count).to.equal(1);
    });

    it('rolls back data API writes made inside a failed session', async function () {
      const chat = ctx.uid('chat');
      const keep = await ctx.db.create(Messages, message(chat, { message_id: 'keep' }));
      await expectCode(
        () =>
          ctx.db.session(async () => {
            await ctx.db.create(Messages, message(chat, { message_id: 'gone' }));
            await ctx.db.delete(Messages, { id: keep.id });
            await ctx.db.save(Messages, message(chat, { message_id: 'saved' }));
            // A bad write fails the session like any other error.
            await ctx.db.create(Messages, message(chat, { time: 'late' as never }));
          }),
        'BOTDB_ERR_BAD_VALUE',
      );
      const rows = await ctx.db.get(Messages, { filters: { chat_id: chat } });
      expect(rows).to.deep.equal([keep]);
    });

    it('rolls back only the inner session when a nested session throws', async function () {
      const key = ctx.uid('mem');
      await ctx.db.session(async () => {
        await ctx.db.create(Memory, { memory_id: key, memory_text: 'outer-before' });
        try {
          await ctx.db.session(async (em) => {
            await ctx.db.create(Memory, { memory_id: key, memory_text: 'inner-api' });
            em.create(Memory, { memory_id: key, memory_text: 'inner-em' });
            await em.flush();
            throw new Error('inner');
          });
        } catch {
          // expected: the inner session rolled back to its savepoint
        }
        expect(await memories(key)).to.deep.equal(['outer-before']);
        await ctx.db.create(Memory, { memory_id: key, memory_text: 'outer-after' });
      });
      expect(await memories(key)).to.deep.equal(['outer-after', 'outer-before']);
    });

    it('keeps a committed nested session only if the outer one commits', async function () {
      const key = ctx.uid('mem');
      try {
        await ctx.db.session(async () => {
          await ctx.db.session(async () => {
            await ctx.db.create(Memory, { memory_id: key, memory_text: 'inner' });
          });
          expect(await memories(key)).to.deep.equal(['inner']);
          throw new Error('outer');
        });
      } catch {
        // expected
      }
      expect(await memories(key)).to.deep.equal([]);
    });

    it('commits a nested session together with its outer session', async function () {
      const key = ctx.uid('mem');
      await ctx.db.session(async () => {
        await ctx.db.create(Memory, { memory_id: key, memory_text: 'outer' });
        await ctx.db.session(async (em) => {
          em.create(Memory, { memory_id: key, memory_text: 'inner' });
        });
      });
      expect(await memories(key)).to.deep.equal(['inner', 'outer']);
    });

    it('applies the same defaults to em.create as the data API', async function () {
      const stream = ctx.uid('stream');
      const user = ctx.uid('user');
      const before = Date.now();
      await ctx.db.session(async (em) => {
        em.create(ChatStreams, chatStream(stream) as never);
        em.create(UserRelationships, { user_id: user } as never);
      });
      const after = Date.now();
      const viaEm = await ctx.db.get(ChatStreams, { filters: { stream_id: stream }, single: true });
      const viaApi = await ctx.db.create(ChatStreams, chatStream(ctx.uid('stream')));
      const { id: _a, stream_id: _b, ...restEm } = viaEm ?? ({} as never);
      const { id: _c, stream_id: _d, ...restApi } = viaApi;
      expect(restEm).to.deep.equal(restApi);
      const rel = await ctx.db.get(UserRelationships, { filters: { user_id: user }, single: true });
      const shift = (t: number) => (ctx.db.config.timeZone === 'utc' ? 0 : new Date(t).getTimezoneOffset() * 60_000);
      expect(rel?.created_at.getTime()).to.be.within(before + shift(before), after + shift(after));
      expect(rel?.relationship_score).to.equal(0.3);
    });

    it('keeps concurrent sessions apart: each commits or rolls back on its own', async function () {
      const key = ctx.uid('mem');
      const results = await Promise.allSettled(
        [0, 1, 2, 3, 4].map((i) =>
          ctx.db.session(async (em) => {
            await ctx.db.create(Memory, { memory_id: key, memory_text: `api-${i}` });
            em.create(Memory, { memory_id: key, memory_text: `em-${i}` });
            if (i === 2) throw new Error('only this one');
            return i;
          }),
        ),
      );
      expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(await memories(key)).to.deep.equal(['api-0', 'api-1', 'api-3', 'api-4', 'em-0', 'em-1', 'em-3', 'em-4']);
    });

    it('keeps concurrent data API calls outside a session out of it', async function () {
      const key = ctx.uid('mem');
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const session = ctx.db
        .session(async () => {
          await ctx.db.create(Memory, { memory_id: key, memory_text: 'in-session' });
          await gate;
          throw new Error('roll back');
        })
        .catch(() => 'rolled back');
      // Runs while the session is open: it is not part of it, so the rollback spares it.
      const outside = ctx.db.create(Memory, { memory_id: key, memory_text: 'outside' });
      release();
      expect(await session).to.equal('rolled back');
      await outside;
      expect(await memories(key)).to.deep.equal(['outside']);
    });

    it('runs many concurrent writes and reads', async function () {
      const chat = ctx.uid('chat');
      await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.db.create(Messages, message(chat, { message_id: `m${i}`, time: i }))));
      const counts = await Promise.all(Array.from({ length: 5 }, () => ctx.db.count(Messages, { chat_id: chat })));
      expect(counts).to.deep.equal([20, 20, 20, 20, 20]);
      await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.db.update(Messages, { chat_id: chat, time: i }, { memorized_times: i })));
      const rows = await ctx.db.get(Messages, { filters: { chat_id: chat }, orderBy: 'time' });
      expect(rows.map((r) => r.memorized_times)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    });

    it('writes and reads the same values through em as through the data API', async function () {
      const chat = ctx.uid('chat');
      const user = ctx.uid('user');
      const when = new Date(2024, 1, 29, 23, 59, 58, 765);
      await ctx.db.session(async (em) => {
        em.create(Messages, { ...message(chat, { message_id: 'via-em', is_emoji: true, should_reply: null, is_mentioned: null, interest_value: 0.5 }) } as never);
        em.create(LLMUsage, {
          model_name: 'm', model_assign_name: 'a', model_api_provider: 'p', user_id: user, request_type: 'r', endpoint: 'e',
          prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, cost: 0, status: 'ok', timestamp: when,
        } as never);
      });
      await ctx.db.create(Messages, message(chat, { message_id: 'via-api', is_emoji: true, should_reply: null, is_mentioned: null, interest_value: 0.5 }));
      const rows = await ctx.db.get(Messages, { filters: { chat_id: chat }, orderBy: 'message_id' });
      const strip = (r: MessagesRow) => ({ ...r, id: 0, message_id: '' });
      expect(rows).to.have.length(2);
      expect(strip(rows[0]!)).to.deep.equal(strip(rows[1]!));
      expect((await ctx.db.get(LLMUsage, { filters: { user_id: user, timestamp: when }, single: true }))?.timestamp.getTime()).to.equal(when.getTime());
      const entities = await ctx.db.session(async (em) => {
        const msgs = (await em.find(Messages, { chat_id: chat } as never, { orderBy: { message_id: 'asc' } as never })) as unknown as MessagesRow[];
        const usage = (await em.findOneOrFail(LLMUsage, { user_id: user } as never)) as unknown as LLMUsageRow;
        return { msgs: msgs.map((m) => [m.is_emoji, m.should_reply, m.is_mentioned, m.is_command]), timestamp: usage.timestamp };
      });
      // An explicit null in a column with a default (should_reply) gets the default on both paths.
      expect(entities.msgs).to.deep.equal([
        [true, false, null, false],
        [true, false, null, false],
      ]);
      expect(entities.timestamp).to.be.instanceOf(Date);
      expect(entities.timestamp.getTime()).to.equal(when.getTime());
    });

    it('rejects something that is not a function', async function () {
      await expectCode(() => ctx.db.session(undefined as never), 'BOTDB_ERR_BAD_QUERY');
    });
  });
}
