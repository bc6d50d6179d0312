import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { ActionRecords, ChatStreams, LLMUsage, Messages, type Database } from '@botdb/core';
import { runConformanceSuite } from '@botdb/test-suite';
import { CachePlugin } from '@botdb/cache';
import { BotDbError, isTransient } from '@botdb/core';
import { BatchPlugin, DEFAULTS, resolveBatchOptions } from '@botdb/batch';
import { action, Databases, message, prng, recordStatements, stream } from './support.js';
import { writeOrderTests } from './order.js';

describe('BatchPlugin on SQLite', function () {
  const dbs = new Databases('sqlite');
  after(() => dbs.cleanup());

  runConformanceSuite('conformance with batch', () => dbs.create({ plugins: [new BatchPlugin()] }));
  runConformanceSuite('conformance with batch + cache', () => dbs.create({ plugins: [new BatchPlugin(), new CachePlugin()] }));
  runConformanceSuite('conformance with batch on every kind of write', () =>
    dbs.create({
      plugins: [
        new BatchPlugin({
          entities: {
            Messages: ['create', 'update', 'delete', 'save'],
            ChatStreams: ['create', 'update', 'delete', 'save'],
            PersonInfo: ['create', 'update', 'delete', 'save'],
            LLMUsage: ['create', 'update', 'delete', 'save'],
          },
        }),
      ],
    }),
  );

  describe('coalescing', function () {
    let db: Database;
    let sql: ReturnType<typeof recordStatements>;
    before(async function () {
      db = await dbs.create({ plugins: [new BatchPlugin()] });
      sql = recordStatements(db);
    });

    it('100 concurrent inserts are one flush running one prepared INSERT, and each caller gets its own row', async function () {
      sql.reset();
      const batches = BatchPlugin.getStats(db)!.batches;
      const rows = await Promise.all(Array.from({ length: 100 }, (_, i) => db.create(Messages, message('a', i))));
      expect(BatchPlugin.getStats(db)!.batches - batches, 'one flush, one transaction').to.equal(1);
      // The SQLite writer runs one cached single-row statement per row (a third of the cost of
      // a multi-row VALUES statement there); PostgreSQL sends one multi-row statement.
      const inserts = sql.list.filter((s) => s.startsWith('INSERT'));
      expect(inserts).to.have.length(100);
      expect(new Set(inserts).size, 'one statement text, prepared once').to.equal(1);
      expect(rows.map((r) => r.message_id)).to.deep.equal(Array.from({ length: 100 }, (_, i) => `m-a-${i}`));
      expect(new Set(rows.map((r) => r.id)).size).to.equal(100);
    });

    it('updates to one row merge: increments add up, last value per column wins', async function () {
      await db.create(ChatStreams, stream('s'));
      sql.reset();
      const counts = await Promise.all([
        db.update(ChatStreams, { stream_id: 's' }, { message_count: { $inc: 1 }, last_active_time: 10 }),
        db.update(ChatStreams, { stream_id: 's' }, { message_count: { $inc: 2 }, last_active_time: 11 }),
        db.update(ChatStreams, { stream_id: 's' }, { reply_count: 7 }),
      ]);
      expect(counts).to.deep.equal([1, 1, 1]);
      expect(sql.list.filter((s) => s.startsWith('UPDATE')).length).to.equal(1);
      const row = await db.get(ChatStreams, { filters: { stream_id: 's' }, single: true });
      expect([row?.message_count, row?.last_active_time, row?.reply_count]).to.deep.equal([3, 11, 7]);
    });

    it('saves (upserts by key) are batched: concurrent ones share a flush, each updates its row or inserts it', async function () {
      await db.create(ActionRecords, action('a-old', { action_name: 'old' }));
      const before = BatchPlugin.getStats(db)!;
      const saved = await Promise.all([
        db.save(ActionRecords, action('a-old', { action_name: 'new' }), { keyField: 'action_id', keyValue: 'a-old' }),
        ...Array.from({ length: 9 }, (_, i) => db.save(ActionRecords, action(`a-${i}`), { keyField: 'action_id', keyValue: `a-${i}` })),
        db.create(Messages, message('with-saves', 1)),
      ]);
      const after = BatchPlugin.getStats(db)!;
      expect([after.batches - before.batches, after.writes - before.writes], 'one flush of all 11 writes').to.deep.equal([1, 11]);
      expect(saved[0]).to.include({ action_id: 'a-old', action_name: 'new' });
      expect(saved.slice(1, 10).map((r) => (r as { action_id: string }).action_id)).to.deep.equal(Array.from({ length: 9 }, (_, i) => `a-${i}`));
      expect(await db.count(ActionRecords, { action_id: 'a-old' })).to.equal(1);
      expect(await db.count(ActionRecords, { action_id: { $in: Array.from({ length: 9 }, (_, i) => `a-${i}`) } })).to.equal(9);
    });

    it('writes issued while a flush waits for the database join that flush', async function () {
      const probeDb = await dbs.create({ plugins: [new BatchPlugin()] });
      const sizes: number[] = [];
      BatchPlugin.getHooks(probeDb)!.flush.tap('probe', (e) => void sizes.push(e.size));
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // Another transaction of this process holds the writer; the flush for the first write waits.
      const other = probeDb.transaction(async (tx) => {
        await tx.create(ChatStreams, stream('holder'));
        await held;
      });
      const first = probeDb.create(Messages, message('late', 1));
      await new Promise((r) => setTimeout(r, 20));
      const second = probeDb.create(Messages, message('late', 2));
      await new Promise((r) => setTimeout(r, 5));
      release();
      await Promise.all([other, first, second]);
      expect(sizes).to.deep.equal([2]);
    });

    it('a batch with one bad row: that promise rejects, the other 99 rows commit', async function () {
      const bad = { ...message('bad', 50), message_id: null } as unknown as Record<string, unknown>;
      const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => db.create(Messages, i === 50 ? bad : message('bad', i))));
      // The bad row fails validation before it is queued; make a row only the database rejects.
      expect(results.filter((r) => r.status === 'rejected')).to.have.length(1);
      expect(await db.count(Messages, { chat_id: 'bad' })).to.equal(99);
    });

    it('a row only the database rejects fails alone; its neighbours commit (isolated)', async function () {
      const b = await dbs.create({ plugins: [new BatchPlugin({ entities: { ChatStreams: ['create'] } })] });
      await b.create(ChatStreams, stream('dup'));
      const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => b.create(ChatStreams, stream(i === 37 ? 'dup' : `n${i}`))));
      const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [[i, (r.reason as { code?: string }).code]] : []));
      expect(rejected).to.deep.equal([[37, 'BOTDB_ERR_CONSTRAINT']]);
      expect(await b.count(ChatStreams, {})).to.equal(100);
      expect(BatchPlugin.getStats(b)!.isolatedFailures).to.equal(1);
    });

    it('a database error at COMMIT keeps its code (BOTDB_ERR_CONSTRAINT, as for a direct write), not BOTDB_ERR_PLUGIN', async function () {
      const name = 'commit-error';
      const b = await dbs.create({ plugins: [new BatchPlugin()] }, name);
      // A deferred foreign key fails at COMMIT, not at the INSERT: every new message points at a
      // stream that does not exist. (Such a column can only be added with foreign keys off.)
      const conn = b.orm.em.getConnection();
      await conn.execute('PRAGMA foreign_keys = OFF');
      await conn.execute(`ALTER TABLE messages ADD COLUMN test_stream TEXT DEFAULT 'none' REFERENCES chat_streams(stream_id) DEFERRABLE INITIALLY DEFERRED`);
      await conn.execute('PRAGMA foreign_keys = ON');
      const batched = await Promise.allSettled([b.create(Messages, message('fk', 1)), b.create(Messages, message('fk', 2))]);
      const direct = await dbs.create({}, name);
      const alone = await Promise.allSettled([direct.create(Messages, message('fk', 3))]);
      const codes = (r: PromiseSettledResult<unknown>[]) => r.map((x) => (x.status === 'rejected' ? (x.reason as { code?: string }).code : 'ok'));
      expect(codes(alone)).to.deep.equal(['BOTDB_ERR_CONSTRAINT']);
      expect(codes(batched)).to.deep.equal(['BOTDB_ERR_CONSTRAINT', 'BOTDB_ERR_CONSTRAINT']);
      expect(await direct.count(Messages, { chat_id: 'fk' })).to.equal(0);
    });
  });

  describe('write order across sessions and transactions', function () {
    writeOrderTests(() => dbs.create({ plugins: [new BatchPlugin()] }));
  });

  describe('read-your-writes', function () {
    it('a read issued after a write, awaited or not, sees it', async function () {
      const db = await dbs.create({ plugins: [new BatchPlugin(), new CachePlugin()] });
      const pending = db.create(Messages, message('r', 1));
      expect(await db.count(Messages, { chat_id: 'r' })).to.equal(1);
      await pending;
    });

    it('a cached read issued after a write that is still queued sees it (the cache does not answer first)', async function () {
      const db = await dbs.create({ plugins: [new BatchPlugin(), new CachePlugin()] });
      await db.create(ChatStreams, stream('rc'));
      const read = () => db.get(ChatStreams, { filters: { stream_id: 'rc' }, single: true });
      expect((await read())?.message_count).to.equal(0);
      expect((await read())?.message_count, 'a cache hit').to.equal(0);
      const pending = db.update(ChatStreams, { stream_id: 'rc' }, { message_count: { $inc: 5 } });
      expect((await read())?.message_count).to.equal(5);
      await pending;
    });

    it('randomized: zero reads miss an earlier-issued write', async function () {
      this.timeout(60_000);
      const db = await dbs.create({ plugins: [new BatchPlugin({ entities: { Messages: ['create', 'update', 'delete'], ChatStreams: ['create', 'update'] } }), new CachePlugin()] });
      const rand = prng(42);
      const chats = ['x', 'y', 'z'];
      const expected = new Map<string, number>(chats.map((c) => [c, 0]));
      let n = 0;
      const inflight: Promise<unknown>[] = [];
      let misses = 0;
      for (let step = 0; step < 1500; step++) {
        const chat = chats[Math.floor(rand() * chats.length)]!;
        const r = rand();
        if (r < 0.6) {
          inflight.push(db.create(Messages, message(chat, ++n)));
          expected.set(chat, expected.get(chat)! + 1);
        } else if (r < 0.7) {
          // Move the newest message of one chat to another: counts of both change.
          const to = chats[Math.floor(rand() * chats.length)]!;
          const rows = await db.get(Messages, { filters: { chat_id: chat }, orderBy: '-id', limit: 1 });
          if (rows[0] && to !== chat) {
            inflight.push(db.update(Messages, { id: rows[0].id as number }, { chat_id: to }));
            expected.set(chat, expected.get(chat)! - 1);
            expected.set(to, expected.get(to)! + 1);
          }
        } else {
          // Not awaiting the writes: the read must still see every one issued before it.
          const got = await db.count(Messages, { chat_id: chat });
          if (got !== expected.get(chat)) misses++;
        }
      }
      await Promise.all(inflight);
      expect(misses).to.equal(0);
      expect(BatchPlugin.getStats(db)!.batchingRate).to.be.greaterThan(0.5);
    });

    it('a read issued after a queued save sees it; a read of another key does not wait for it', async function () {
      const db = await dbs.create({ plugins: [new BatchPlugin(), new CachePlugin()] });
      expect(await db.count(ActionRecords, { action_id: 'rs' })).to.equal(0);
      const pending = db.save(ActionRecords, action('rs'), { keyField: 'action_id', keyValue: 'rs' });
      const skips = BatchPlugin.getStats(db)!.barrierSkips;
      expect(await db.count(ActionRecords, { action_id: 'other' })).to.equal(0);
      expect(BatchPlugin.getStats(db)!.barrierSkips - skips, 'the other key did not wait').to.equal(1);
      expect(await db.count(ActionRecords, { action_id: 'rs' }), 'the queued save is seen').to.equal(1);
      await pending;
    });

    it('a read no pending write could affect does not flush (barrier skip)', async function () {
      const db = await dbs.create({ plugins: [new BatchPlugin()] });
      await db.create(ChatStreams, stream('p'));
      const pending = db.update(ChatStreams, { stream_id: 'p' }, { message_count: 1 });
      await db.get(ChatStreams, { filters: { stream_id: 'q' } });
      expect(BatchPlugin.getStats(db)!.barrierSkips).to.be.at.least(1);
      await pending;
    });
  });

  describe('lifecycle', function () {
    it('close() drains every queued write', async function () {
      const name = 'drain';
      const db = await dbs.create({ plugins: [new BatchPlugin({ maxWaitMs: 50 })] }, name);
      for (let i = 0; i < 500; i++) void db.create(LLMUsage, { model_name: 'm', model_assign_name: 'a', model_api_provider: 'p', user_id: 'u', request_type: 't', endpoint: '/e', prompt_tokens: i, completion_tokens: 1, total_tokens: 1, cost: 0, status: 'ok' });
      await db.close();
      const check = await dbs.create({}, name);
      expect(await check.count(LLMUsage, {})).to.equal(500);
    });

    it('a full queue makes writers wait (backpressure) and nothing is lost', async function () {
      const db = await dbs.create({ plugins: [new BatchPlugin({ maxQueue: 10 })] });
      const all = Array.from({ length: 200 }, (_, i) => db.create(Messages, message('bp', i)));
      const stats = BatchPlugin.getStats(db)!;
      expect(stats.queueDepth).to.be.at.most(10);
      await Promise.all(all);
      expect(await db.count(Messages, { chat_id: 'bp' })).to.equal(200);
    });

    it('a high-priority write flushes at once, a normal one a loop turn later', async function () {
      const db = await dbs.create({ plugins: [new BatchPlugin()] });
      let probe: (() => void) | undefined;
      BatchPlugin.getHooks(db)!.flush.tap('probe', () => probe?.());
      const flushedBeforeTurn = async (priority: 'high' | 'normal') => {
        let turned = false;
        let flushedFirst: boolean | undefined;
        probe = () => {
          flushedFirst ??= !turned;
        };
        setImmediate(() => (turned = true));
        await db.create(Messages, message(`hp-${priority}`, 1), { priority });
        return flushedFirst;
      };
      expect(await flushedBeforeTurn('high')).to.equal(true);
      expect(await flushedBeforeTurn('normal')).to.equal(false);
    });

    it('slow flushes degrade to direct writes, which still land', async function () {
      const db = await dbs.create({ plugins: [new BatchPlugin({ slowFlushMs: 1, recoverAfterMs: 60_000 })] });
      // Make flushes slow: a committed hook that takes 5 ms.
      db.pipeline.hooks.committed.tapPromise('slow', () => new Promise((r) => setTimeout(r, 5)));
      for (let i = 0; i < 5; i++) await db.create(Messages, message('slow', i));
      const s = BatchPlugin.getStats(db)!;
      expect(s.degradations).to.equal(1);
      expect(s.directWrites).to.be.greaterThan(0);
      expect(await db.count(Messages, { chat_id: 'slow' })).to.equal(5);
    });
  });

  describe('options and errors', function () {
    it('resolved defaults (snapshot)', function () {
      expect(resolveBatchOptions()).to.deep.equal({ ...DEFAULTS, entities: DEFAULTS.entities });
      expect(DEFAULTS).to.deep.include({ minBatch: 16, maxBatch: 2000, maxWaitMs: 2, targetFlushMs: 20, maxQueue: 10_000, slowFlushMs: 1000, recoverAfterMs: 5000, retryForMs: 30_000 });
    });

    it('bad options fail with BOTDB_ERR_CONFIG', function () {
      for (const bad of [{ maxBatch: 0 }, { minBatch: 10, maxBatch: 5 }, { entities: { Messages: ['upsert'] } }, { maxWaitMs: -1 }]) {
        expect(() => new BatchPlugin(bad as never), JSON.stringify(bad)).to.throw().with.property('code', 'BOTDB_ERR_CONFIG');
      }
    });

    it('classifies busy and lost-connection errors as transient, constraint errors not', function () {
      expect(isTransient(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).to.equal(true);
      expect(isTransient(new Error('Connection terminated unexpectedly'))).to.equal(true);
      expect(isTransient(new Error('x', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5432') }))).to.equal(true);
      expect(isTransient(new Error('UNIQUE constraint failed: chat_streams.stream_id'))).to.equal(false);
    });

    it('a commit whose outcome is unknown is never transient, whatever lost connection caused it', function () {
      const unknown = BotDbError.commitUnknown(new Error('Connection terminated unexpectedly'));
      expect(unknown.code).to.equal('BOTDB_ERR_COMMIT_UNKNOWN');
      expect(isTransient(unknown)).to.equal(false);
      expect(isTransient(new Error('wrapped', { cause: unknown }))).to.equal(false);
    });
  });
});
