import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, Messages, PersonInfo, normalizeFilter, resolveEntity, type Database, type ReadContext, type Row } from '@botdb/core';
import { runConformanceSuite } from '@botdb/test-suite';
import { CachePlugin, BloomFilter, resolveCacheOptions } from '@botdb/cache';
import { runConsistency } from './consistency.js';
import { Databases, message, recordStatements, stream } from './support.js';

describe('CachePlugin on SQLite', function () {
  const dbs = new Databases('sqlite');
  after(() => dbs.cleanup());

  runConformanceSuite('conformance with the cache (better-sqlite3)', () => dbs.create({ plugins: [new CachePlugin()] }));
  runConformanceSuite('conformance with the cache (sqlite3)', () => dbs.create({ plugins: [new CachePlugin()], sqlite: { driver: 'sqlite3' } }));

  describe('query counting', function () {
    let db: Database;
    let sql: ReturnType<typeof recordStatements>;
    before(async function () {
      db = await dbs.create({ plugins: [new CachePlugin()] });
      sql = recordStatements(db);
      await db.createMany(ChatStreams, [stream('a'), stream('b'), stream('c')]);
    });

    it('a hit runs 0 SQL statements', async function () {
      const first = await db.get(ChatStreams, { filters: { stream_id: 'a' }, single: true });
      sql.reset();
      const second = await db.get(ChatStreams, { filters: { stream_id: 'a' }, single: true });
      expect(sql.count).to.equal(0);
      expect(second).to.equal(first);
    });

    it('N concurrent misses of one key run 1 statement', async function () {
      sql.reset();
      const results = await Promise.all(Array.from({ length: 50 }, () => db.get(ChatStreams, { filters: { stream_id: 'b' }, single: true })));
      expect(sql.count).to.equal(1);
      expect(new Set(results).size).to.equal(1);
      expect(CachePlugin.getStats(db)!.singleFlightJoins).to.be.at.least(49);
    });

    it('a lookup of a key no row has runs 0 statements (Bloom filter), and null is right', async function () {
      sql.reset();
      expect(await db.get(ChatStreams, { filters: { stream_id: 'nobody' }, single: true })).to.equal(null);
      expect(await db.count(ChatStreams, { stream_id: 'nobody' })).to.equal(0);
      expect(sql.count).to.equal(0);
      expect(CachePlugin.getStats(db)!.bloomRejections).to.be.at.least(2);
    });

    it('the Bloom filter learns inserted keys, so new rows are found at once', async function () {
      expect(await db.get(ChatStreams, { filters: { stream_id: 'late' }, single: true })).to.equal(null);
      await db.create(ChatStreams, stream('late'));
      expect((await db.get(ChatStreams, { filters: { stream_id: 'late' }, single: true }))?.stream_id).to.equal('late');
      await db.update(ChatStreams, { stream_id: 'late' }, { stream_id: 'renamed' });
      expect((await db.get(ChatStreams, { filters: { stream_id: 'renamed' }, single: true }))?.stream_id).to.equal('renamed');
    });

    it('{ cache: false } bypasses the cache', async function () {
      await db.get(ChatStreams, { filters: { stream_id: 'c' }, single: true });
      sql.reset();
      await db.get(ChatStreams, { filters: { stream_id: 'c' }, single: true, cache: false });
      expect(sql.count).to.equal(1);
    });

    it('rows handed out are frozen', async function () {
      const rows = await db.get(ChatStreams, { filters: { stream_id: 'c' } });
      expect(Object.isFrozen(rows)).to.equal(true);
      expect(Object.isFrozen(rows[0])).to.equal(true);
    });
  });

  describe('exact invalidation', function () {
    let db: Database;
    let cache: CachePlugin;
    let sql: ReturnType<typeof recordStatements>;
    before(async function () {
      cache = new CachePlugin();
      db = await dbs.create({ plugins: [cache] });
      sql = recordStatements(db);
      await db.createMany(ChatStreams, [stream('x'), stream('y')]);
      await db.createMany(Messages, [message('x', 1), message('y', 2)]);
    });

    it('a write to one chat leaves the cached reads of another chat alone', async function () {
      await db.get(Messages, { filters: { chat_id: 'y' }, orderBy: '-time', limit: 20 });
      await db.get(Messages, { filters: { chat_id: 'x' }, orderBy: '-time', limit: 20 });
      await db.create(Messages, message('x', 3));
      sql.reset();
      await db.get(Messages, { filters: { chat_id: 'y' }, orderBy: '-time', limit: 20 });
      expect(sql.count, 'chat y still cached').to.equal(0);
      const x = await db.get(Messages, { filters: { chat_id: 'x' }, orderBy: '-time', limit: 20 });
      expect(sql.count, 'chat x kept up to date in memory').to.equal(0);
      expect(x.map((m) => m.time)).to.deep.equal([3, 1]);
    });

    it('an update that moves a row out of a cached read drops that read (old values count)', async function () {
      await db.get(Messages, { filters: { chat_id: 'y' } });
      await db.update(Messages, { time: 2 }, { chat_id: 'z' });
      expect(await db.get(Messages, { filters: { chat_id: 'y' } })).to.deep.equal([]);
    });

    it('an update of a single cached row is patched in place, not dropped', async function () {
      await db.get(ChatStreams, { filters: { stream_id: 'x' }, single: true });
      const patches = cache.stats().patches;
      await db.update(ChatStreams, { stream_id: 'x' }, { message_count: 42 });
      sql.reset();
      const row = await db.get(ChatStreams, { filters: { stream_id: 'x' }, single: true });
      expect(sql.count).to.equal(0);
      expect(row?.message_count).to.equal(42);
      expect(cache.stats().patches).to.equal(patches + 1);
    });

    it('a rolled-back session invalidates nothing and leaves the cache right', async function () {
      const before = await db.get(ChatStreams, { filters: { stream_id: 'y' }, single: true });
      await db
        .session(async () => {
          await db.update(ChatStreams, { stream_id: 'y' }, { message_count: 7 });
          throw new Error('no');
        })
        .catch(() => undefined);
      expect(await db.get(ChatStreams, { filters: { stream_id: 'y' }, single: true })).to.deep.equal(before);
    });

    it('a read that raced a commit does not fill the cache with what it read before it', async function () {
      // The cache's read hook, driven with a read whose database answer we hold back: it reads
      // before the commit and answers after it, which is the fill race.
      const raced = await dbs.create({ plugins: [new CachePlugin({ bloom: false })] });
      const def = resolveEntity(PersonInfo);
      const readCtx = (load: () => Promise<readonly Row[]>): ReadContext => ({
        db: raced, entity: def, kind: 'get', filter: normalizeFilter(def, { person_id: 'race' }), orderBy: [], limit: 1, single: true, options: {}, load,
      });
      let answer!: (rows: readonly Row[]) => void;
      const first = raced.pipeline.hooks.read.promise(readCtx(() => new Promise((resolve) => (answer = resolve))));
      await raced.create(PersonInfo, { person_id: 'race', platform: 'qq', user_id: '1', nickname: 'r' });
      answer([]); // what the database said before the commit
      expect((await first)?.value).to.deep.equal([]);
      // The next read must go to the database, not get the stale empty answer from L1.
      let loads = 0;
      const fresh = [{ person_id: 'race' }];
      const second = await raced.pipeline.hooks.read.promise(readCtx(async () => (loads++, fresh)));
      expect(loads, 'the stale answer was not cached').to.equal(1);
      expect(second?.value).to.deep.equal(fresh);
    });
  });

  describe('memory', function () {
    it('filling past the byte bound keeps L1 under it', async function () {
      const cache = new CachePlugin({ maxBytes: 200_000 });
      const db = await dbs.create({ plugins: [cache] });
      await db.createMany(Messages, Array.from({ length: 400 }, (_, i) => message(`m${i % 200}`, i, { processed_plain_text: 'x'.repeat(500) })));
      for (let i = 0; i < 200; i++) await db.get(Messages, { filters: { chat_id: `m${i}` } });
      const s = cache.stats();
      expect(s.bytesL1).to.be.at.most(200_000);
      expect(s.evictions).to.be.greaterThan(0);
      expect(s.entriesL1).to.be.lessThan(200);
    });
  });

  describe('randomized consistency', function () {
    it('zero stale reads over thousands of operations through every write path', async function () {
      this.timeout(120_000);
      const db = await dbs.create({ plugins: [new CachePlugin()] });
      const { checks, writes } = await runConsistency(db, 20251130, 400);
      expect(checks).to.be.at.least(2800);
      expect(writes).to.be.at.least(400);
    });
  });

  describe('options', function () {
    it('resolved defaults (snapshot)', function () {
      const r = resolveCacheOptions();
      expect({ ...r, l2: undefined }).to.deep.equal({
        maxEntries: 50_000, maxBytes: 67_108_864, ttlMs: 300_000, ttlByEntity: {}, negativeTtlMs: 30_000, include: undefined, exclude: [],
        bloom: {
          ChatStreams: ['stream_id'], PersonInfo: ['person_id'], Emoji: ['emoji_hash'], Images: ['emoji_hash'], CacheEntries: ['cache_key'],
          PermissionNodes: ['node_name'], Videos: ['video_hash'], GraphNodes: ['concept'],
        },
        bloomExpectedItems: 100_000, l2: undefined, redisUrl: undefined, channel: 'botdb:cache:invalidate', changeLogMs: 10_000,
        ackTimeoutMs: 1_000, l2TimeoutMs: 100, listSlack: 0,
      });
    });

    it('bad options fail at construction with BOTDB_ERR_CONFIG', function () {
      for (const bad of [{ maxEntries: 0 }, { ttlMs: -1 }, { include: 'ChatStreams' }, { redisUrl: 'localhost' }, { l2: {} }, { l2: { get() {} } }]) {
        expect(() => new CachePlugin(bad as never), JSON.stringify(bad)).to.throw().with.property('code', 'BOTDB_ERR_CONFIG');
      }
    });

    it('excluded entities are not cached', async function () {
      const db = await dbs.create({ plugins: [new CachePlugin({ exclude: ['ChatStreams'] })] });
      const sql = recordStatements(db);
      await db.get(ChatStreams, { filters: { stream_id: 'q' } });
      await db.get(ChatStreams, { filters: { stream_id: 'q' } });
      expect(sql.count).to.equal(2);
    });
  });

  describe('Bloom filter', function () {
    // Regression: a hash step above 2^31 turned negative and gave false negatives.
    it('has no false negatives', function () {
      const b = new BloomFilter(10_000);
      for (let i = 0; i < 10_000; i++) b.add(`key-${i}`);
      for (let i = 0; i < 10_000; i++) expect(b.mightContain(`key-${i}`), `key-${i}`).to.equal(true);
    });
  });
});
