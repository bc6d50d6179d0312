import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import { ChatStreams, type Database } from '@botdb/core';
import { CachePlugin } from '@botdb/cache';
import { Databases, REDIS_URL, skipUnless, recordStatements, stream } from './support.js';

describe('CachePlugin with Redis', function () {
  this.timeout(60_000);
  const dbs = new Databases('sqlite');
  const channel = `botdb:test:${randomBytes(4).toString('hex')}`;
  before(function () {
    skipUnless(this, REDIS_URL, 'BOTDB_REDIS_URL');
  });
  after(() => dbs.cleanup());

  describe('two processes sharing the invalidation bus', function () {
    let peer: ChildProcess;
    let db: Database;
    let seq = 0;
    const ask = (streamId: string) =>
      new Promise<{ row: Record<string, unknown> | null; stats: { hitsL1: number } }>((resolve) => {
        const id = ++seq;
        const onMessage = (m: { id?: number; row: Record<string, unknown> | null; stats: { hitsL1: number } }) => {
          if (m.id !== id) return;
          peer.off('message', onMessage);
          resolve(m);
        };
        peer.on('message', onMessage);
        peer.send({ id, streamId });
      });

    before(async function () {
      db = await dbs.create({ plugins: [new CachePlugin({ redisUrl: REDIS_URL, channel })] }, 'shared');
      await db.createMany(ChatStreams, [stream('s1'), stream('s2')]);
      peer = fork(fileURLToPath(new URL('./peer.ts', import.meta.url)), [`sqlite:${dbs.fileOf('shared')}`, REDIS_URL!, channel], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise<void>((resolve) => peer.once('message', () => resolve()));
    });
    after(function () {
      peer?.disconnect();
    });

    it('a write in one process is not served stale by the other after its publish completes', async function () {
      for (let round = 0; round < 30; round++) {
        // The peer caches the row (second read is an L1 hit) ...
        await ask('s1');
        const cached = await ask('s1');
        expect(cached.row?.message_count).to.equal(round);
        // ... this process writes; the write resolves after the publish completed ...
        await db.update(ChatStreams, { stream_id: 's1' }, { message_count: round + 1 });
        // ... and the peer's next read sees the new value.
        const after = await ask('s1');
        expect(after.row?.message_count, `round ${round}`).to.equal(round + 1);
      }
      expect((await ask('s1')).stats.hitsL1).to.be.greaterThan(20);
    });

    it('a row inserted in one process is found by the other (Bloom filters learn over the bus)', async function () {
      expect((await ask('s-new')).row).to.equal(null);
      await db.create(ChatStreams, stream('s-new'));
      expect((await ask('s-new')).row?.stream_id).to.equal('s-new');
    });
  });

  describe('L2 (keyv + @keyv/redis)', function () {
    it('a second database answers from L2 with 0 statements; a write elsewhere makes it re-read', async function () {
      const namespace = `botdb-test-${randomBytes(4).toString('hex')}`;
      const l2a = new Keyv({ store: new KeyvRedis(REDIS_URL!), namespace });
      const l2b = new Keyv({ store: new KeyvRedis(REDIS_URL!), namespace });
      const a = await dbs.create({ plugins: [new CachePlugin({ l2: l2a, redisUrl: REDIS_URL, channel: `${channel}:l2` })] }, 'l2');
      const b = await dbs.create({ plugins: [new CachePlugin({ l2: l2b, redisUrl: REDIS_URL, channel: `${channel}:l2` })] }, 'l2');
      await a.create(ChatStreams, stream('k1'));
      await a.get(ChatStreams, { filters: { stream_id: 'k1' }, single: true }); // fills L1 and L2
      const sqlB = recordStatements(b);
      const fromL2 = await b.get(ChatStreams, { filters: { stream_id: 'k1' }, single: true });
      expect(fromL2?.stream_id).to.equal('k1');
      expect(sqlB.count, 'answered by L2').to.equal(0);
      expect(CachePlugin.getStats(b)!.hitsL2).to.equal(1);
      // A commit in `a` starts a new generation (and reaches b's L1 over the bus): `b` must not
      // answer from the old L2 entry, for this shape or any other it cached.
      await a.get(ChatStreams, { filters: { stream_id: 'k1' }, limit: 1 });
      await a.update(ChatStreams, { stream_id: 'k1' }, { message_count: 5 });
      expect((await b.get(ChatStreams, { filters: { stream_id: 'k1' }, single: true }))?.message_count).to.equal(5);
      expect((await b.get(ChatStreams, { filters: { stream_id: 'k1' }, limit: 1 }))[0]?.message_count).to.equal(5);
      await l2a.disconnect();
      await l2b.disconnect();
    });

    it('L2 errors never fail a read: they are counted and the database answers', async function () {
      const broken = new Keyv({ store: new KeyvRedis('redis://127.0.0.1:1', { throwOnConnectError: false } as never), namespace: 'x' });
      broken.on('error', () => undefined);
      const db = await dbs.create({ plugins: [new CachePlugin({ l2: broken, redisUrl: REDIS_URL, channel: `${channel}:broken` })] });
      await db.create(ChatStreams, stream('e1'));
      const row = await db.get(ChatStreams, { filters: { stream_id: 'e1' }, single: true });
      expect(row?.stream_id).to.equal('e1');
      expect(CachePlugin.getStats(db)!.l2Errors).to.be.greaterThan(0);
    });
  });
});
