import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { CachePlugin } from '@botdb/cache';
import { runMaintained, type Shape } from './maintained.js';
import { Databases, PG_URL, REDIS_URL, skipUnless } from './support.js';

describe('CachePlugin: maintained answers across two processes (Redis bus)', function () {
  this.timeout(180_000);
  // PostgreSQL when it is configured (two writing processes are its use case), else one SQLite file.
  const dbs = new Databases(PG_URL ? 'pg' : 'sqlite');
  const channel = `botdb:test:${randomBytes(4).toString('hex')}`;
  let peer: ChildProcess | undefined;
  before(function () {
    skipUnless(this, REDIS_URL, 'BOTDB_REDIS_URL');
  });
  after(async () => {
    peer?.disconnect();
    await dbs.cleanup();
  });

  it('each process maintains its own commits and drops on the other\'s: every cached answer in both equals the database', async function () {
    const name = `shared_${randomBytes(3).toString('hex')}`;
    const db = await dbs.create({ plugins: [new CachePlugin({ redisUrl: REDIS_URL, channel })] }, name);
    const args = PG_URL ? [PG_URL, REDIS_URL!, channel, `botdb_t_${name}`] : [`sqlite:${dbs.fileOf(name)}`, REDIS_URL!, channel];
    const child = fork(fileURLToPath(new URL('./maintained-peer.ts', import.meta.url)), args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    peer = child;
    await new Promise<void>((resolve) => child.once('message', () => resolve()));
    let seq = 0;
    const ask = <T>(body: object) =>
      new Promise<T>((resolve, reject) => {
        const id = ++seq;
        const onMessage = (m: { id?: number; error?: string }) => {
          if (m.id !== id) return;
          child.off('message', onMessage);
          if (m.error !== undefined) reject(new Error(m.error));
          else resolve(m as T);
        };
        child.on('message', onMessage);
        child.send({ id, ...body });
      });
    const { checks } = await runMaintained(db, {
      seed: 21,
      steps: 60,
      peerRead: async (shapes: readonly Shape[]) => (await ask<{ values: unknown[] }>({ read: shapes })).values,
      peerWrite: async (op, seed) => {
        await ask({ op, seed });
      },
    });
    expect(checks).to.be.at.least(60 * 20);
  });
});
