import { describe, it, after } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, Messages } from '@botdb/core';
import { CachePlugin } from '@botdb/cache';
import { BatchPlugin } from '@botdb/batch';
// The cache's maintained-answers property, run here with the batch plugin on too.
import { runMaintained } from '../../cache/test/maintained.js';
import { Databases, message, stream } from './support.js';

describe('cache + batch: maintained lists and counts (SQLite)', function () {
  const dbs = new Databases('sqlite');
  after(() => dbs.cleanup());

  describe('a warm chat turn', function () {
    it('the recent-messages read and the counts run 0 statements (cache + batch)', async function () {
      const db = await dbs.create({ plugins: [new CachePlugin(), new BatchPlugin()] });
      await db.create(ChatStreams, stream('s'));
      for (let t = 1; t <= 25; t++) await db.create(Messages, message('s', t, { message_id: `w${t}` }));
      const turn = async (t: number) => {
        await db.get(ChatStreams, { filters: { stream_id: 's' }, single: true });
        await Promise.all([
          db.create(Messages, message('s', t, { message_id: `t${t}` })),
          db.update(ChatStreams, { stream_id: 's' }, { message_count: { $inc: 1 }, last_active_time: t }),
        ]);
        const list = await db.get(Messages, { filters: { chat_id: 's' }, orderBy: '-time', limit: 20 });
        const count = await db.count(Messages, { chat_id: 's' });
        return { list, count };
      };
      await turn(100); // warm-up fills the entries
      // Reads the database answered (the batch flush's own statements are writes).
      let fromDb: string[] = [];
      db.pipeline.hooks.afterRead.tap('test', (ctx, result) => {
        if (result.source === 'db') fromDb.push(`${ctx.kind} ${ctx.entity.name}`);
      });
      for (let t = 101; t <= 110; t++) {
        fromDb = [];
        const { list, count } = await turn(t);
        expect(fromDb, `turn ${t}`).to.deep.equal([]);
        expect(list[0]!.message_id).to.equal(`t${t}`);
        expect(count).to.equal(25 + t - 99);
      }
      expect(await db.get(Messages, { filters: { chat_id: 's' }, orderBy: '-time', limit: 20 })).to.deep.equal(
        await db.get(Messages, { filters: { chat_id: 's' }, orderBy: '-time', limit: 20, cache: false }),
      );
    });
  });

  describe('randomized: every cached list and count equals the database after each commit', function () {
    it('with the batch plugin too', async function () {
      this.timeout(120_000);
      const db = await dbs.create({ plugins: [new CachePlugin(), new BatchPlugin()] });
      const { checks } = await runMaintained(db, { seed: 4, steps: 120 });
      expect(checks).to.be.at.least(120 * 20);
    });
  });
});
