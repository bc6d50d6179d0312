import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, Messages, normalizeFilter, resolveEntity, type Database, type RowChange } from '@botdb/core';
import { CachePlugin } from '@botdb/cache';
import { ChangeLog } from '../src/changelog.js';
import { L1Store, type Entry } from '../src/l1.js';
import { runMaintained } from './maintained.js';
import { Databases, message, recordStatements } from './support.js';

const recent = (chat: string, limit = 3) => ({ filters: { chat_id: chat }, orderBy: '-time', limit }) as const;

describe('CachePlugin: maintained lists and counts (SQLite)', function () {
  const dbs = new Databases('sqlite');
  after(() => dbs.cleanup());

  describe('kept up to date in memory', function () {
    let db: Database;
    let cache: CachePlugin;
    let sql: ReturnType<typeof recordStatements>;
    let n = 0;
    const add = (chat: string, time: number) => db.create(Messages, message(chat, time, { message_id: `k${++n}` }));
    before(async function () {
      cache = new CachePlugin({ listSlack: 2 });
      db = await dbs.create({ plugins: [cache] });
      sql = recordStatements(db);
      for (let t = 1; t <= 6; t++) await add('a', t);
    });

    it('an insert is placed into a cached window: the next read runs 0 statements and equals the database', async function () {
      await db.get(Messages, recent('a'));
      await add('a', 10);
      sql.reset();
      const cached = await db.get(Messages, recent('a'));
      expect(sql.count).to.equal(0);
      expect(cached.map((m) => m.time)).to.deep.equal([10, 6, 5]);
      expect(cached).to.deep.equal(await db.get(Messages, { ...recent('a'), cache: false }));
    });

    it('a row that sorts after a full window changes nothing', async function () {
      await add('a', 0.5);
      sql.reset();
      expect((await db.get(Messages, recent('a'))).map((m) => m.time)).to.deep.equal([10, 6, 5]);
      expect(sql.count).to.equal(0);
    });

    it('equal sort keys: the primary key breaks the tie, as in the database', async function () {
      await add('a', 10);
      sql.reset();
      const cached = await db.get(Messages, recent('a'));
      expect(sql.count).to.equal(0);
      expect(cached).to.deep.equal(await db.get(Messages, { ...recent('a'), cache: false }));
      expect(cached[0]!.id).to.be.greaterThan(cached[1]!.id as number);
    });

    it('deletes inside a full window take the next rows from the slack, then the entry is dropped', async function () {
      await db.get(Messages, recent('a'));
      const [first, second] = await db.get(Messages, { ...recent('a'), cache: false });
      await db.delete(Messages, { id: first!.id });
      await db.delete(Messages, { id: second!.id });
      sql.reset();
      expect(await db.get(Messages, recent('a'))).to.deep.equal(await db.get(Messages, { ...recent('a'), cache: false }));
      expect(sql.count, 'served from the slack').to.equal(1); // only the uncached comparison read
      const [third] = await db.get(Messages, { ...recent('a'), cache: false });
      await db.delete(Messages, { id: third!.id });
      sql.reset();
      expect(await db.get(Messages, recent('a'))).to.deep.equal(await db.get(Messages, { ...recent('a'), cache: false }));
      expect(sql.count, 'slack used up: refilled').to.equal(2);
    });

    it('an update moves a row within, into and out of a window', async function () {
      await db.get(Messages, recent('a'));
      await db.get(Messages, recent('b'));
      const [top] = await db.get(Messages, { ...recent('a'), cache: false });
      await db.update(Messages, { id: top!.id }, { time: 0.1 }); // falls out of a's window
      await db.update(Messages, { id: top!.id }, { chat_id: 'b', time: 99 }); // enters b's
      sql.reset();
      const a = await db.get(Messages, recent('a'));
      const b = await db.get(Messages, recent('b'));
      expect(a).to.deep.equal(await db.get(Messages, { ...recent('a'), cache: false }));
      expect(b).to.deep.equal(await db.get(Messages, { ...recent('b'), cache: false }));
      expect(b[0]!.id).to.equal(top!.id);
    });

    it('counts move by one on inserts, deletes and updates that cross the filter, with 0 statements', async function () {
      const before = await db.count(Messages, { chat_id: 'a' });
      await add('a', 20);
      const [row] = await db.get(Messages, { ...recent('a'), cache: false });
      await db.update(Messages, { id: row!.id }, { chat_id: 'c' });
      await add('a', 21);
      sql.reset();
      expect(await db.count(Messages, { chat_id: 'a' })).to.equal(before + 1);
      expect(sql.count).to.equal(0);
      expect(await db.count(Messages, { chat_id: 'a' }, { cache: false })).to.equal(before + 1);
    });

    it('a rolled-back transaction changes no cached answer', async function () {
      const list = await db.get(Messages, recent('a'));
      const count = await db.count(Messages, { chat_id: 'a' });
      await db
        .transaction(async (tx) => {
          await tx.create(Messages, message('a', 500, { message_id: 'rolled' }));
          throw new Error('rollback');
        })
        .catch(() => undefined);
      expect(await db.get(Messages, recent('a'))).to.deep.equal(list);
      expect(await db.count(Messages, { chat_id: 'a' })).to.equal(count);
    });

    it('an unordered list is still dropped by a change it can see', async function () {
      await db.get(Messages, { filters: { chat_id: 'a' } });
      await add('a', 30);
      sql.reset();
      await db.get(Messages, { filters: { chat_id: 'a' } });
      expect(sql.count).to.equal(1);
    });

    it('counts the maintained entries as patches', function () {
      expect(cache.stats().patches).to.be.greaterThan(5);
    });
  });

  describe('the rules underneath', function () {
    const def = resolveEntity(Messages);
    const row = { id: 7, chat_id: 'x', time: 1 };
    const change: RowChange = { entity: def, kind: 'insert', key: 7, after: row };
    const filter = normalizeFilter(def, { chat_id: 'x' });

    it('no read fills while a change it could see is prepared but not committed; a rolled-back one is forgotten in time', function () {
      const log = new ChangeLog({ keepMs: 50, maxPerEntity: 100, zone: 'utc' });
      log.record('Messages', [row]);
      log.prepare(change, [row]);
      const since = log.seq; // a read that starts after prepare ...
      expect(log.changedSince(since, 'Messages', filter), '... may have seen the commit').to.equal(true);
      expect(log.changedSince(since, 'Messages', normalizeFilter(def, { chat_id: 'y' }))).to.equal(false);
      log.settle(change);
      expect(log.changedSince(since, 'Messages', filter)).to.equal(false);
      log.prepare(change, [row]); // never settled: rolled back
      log.prune(Date.now() + 100);
      expect(log.size).to.equal(0);
    });

    it('the log forgets by count and by time on its own', function () {
      const log = new ChangeLog({ keepMs: 10_000, maxPerEntity: 3, zone: 'utc' });
      const since = log.seq;
      for (let i = 0; i < 10; i++) log.record('Messages', [row]);
      expect(log.size).to.equal(3);
      expect(log.changedSince(since, 'Messages', normalizeFilter(def, { chat_id: 'other' })), 'forgotten changes count as changed').to.equal(true);
      log.prune(Date.now() + 20_000);
      expect(log.size).to.equal(0);
    });

    it('recording prunes by time too (a busy loop of awaits can starve the prune timer)', async function () {
      const log = new ChangeLog({ keepMs: 40, maxPerEntity: 1000, zone: 'utc' });
      for (let i = 0; i < 5; i++) log.record('Messages', [row]);
      await new Promise((r) => setTimeout(r, 100));
      log.record('Messages', [row]);
      expect(log.size).to.equal(1);
    });

    it('a change from another process drops a cached count or list instead of moving it', function () {
      const l1 = new L1Store({ maxEntries: 10, maxBytes: 1_000_000, zone: 'utc', onEvict: () => undefined });
      const entry: Entry = { key: 'k', entity: 'Messages', filter, value: 3, mode: 'count', negative: false, indexColumn: 'chat_id', indexValues: ['sx'], pending: 0 };
      const ctx = { entity: def, kind: 'count', single: false, limit: undefined, orderBy: [], filter } as never;
      l1.set(entry, 10_000, ctx);
      expect(l1.invalidate(change, 'committed')).to.deep.equal({ dropped: 0, patched: 1 });
      expect(l1.get('k')?.value).to.equal(4);
      expect(l1.invalidate(change, 'remote')).to.deep.equal({ dropped: 1, patched: 0 });
      expect(l1.get('k')).to.equal(undefined);
    });
  });

  describe('memory stays bounded', function () {
    it('a read with a huge key is not cached; entries count their keys', async function () {
      const cache = new CachePlugin({ bloom: false });
      const db = await dbs.create({ plugins: [cache] });
      const big = 'k'.repeat(20_000);
      for (let i = 0; i < 5; i++) await db.get(ChatStreams, { filters: { stream_id: `${big}${i}` }, single: true });
      expect(cache.stats().entriesL1).to.equal(0);
      const key = 'k'.repeat(8_000);
      await db.get(ChatStreams, { filters: { stream_id: key }, single: true });
      expect(cache.stats().bytesL1, 'the key counts').to.be.greaterThan(key.length * 4);
    });

    it('the fill-race log forgets by time while nothing is written', async function () {
      this.timeout(20_000);
      const cache = new CachePlugin({ changeLogMs: 300 });
      const db = await dbs.create({ plugins: [cache] });
      await db.createMany(Messages, Array.from({ length: 200 }, (_, i) => message('log', i, { message_id: `log${i}` })));
      expect(cache.stats().changeLogSize).to.be.greaterThan(0);
      const until = Date.now() + 10_000;
      while (cache.stats().changeLogSize > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(cache.stats().changeLogSize).to.equal(0);
    });
  });

  describe('randomized: every cached list and count equals the database after each commit', function () {
    for (const [seed, slack] of [
      [1, 4],
      [2, 0],
      [3, 1],
    ] as const) {
      it(`seed ${seed}, listSlack ${slack}`, async function () {
        this.timeout(120_000);
        const db = await dbs.create({ plugins: [new CachePlugin({ listSlack: slack })] });
        const { checks } = await runMaintained(db, { seed, steps: 120 });
        expect(checks).to.be.at.least(120 * 20);
      });
    }
  });
});
