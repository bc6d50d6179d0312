/**
 * The cache when Redis goes away and comes back: on a Redis server of the test's own (never the
 * shared one), which the tests stop and start again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import { expect } from 'chai';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import { createClient } from '@redis/client';
import { ChatStreams, type Database } from '@botdb/core';
import { CachePlugin, type CachePluginOptions } from '@botdb/cache';
import { Databases, REDIS_URL, recordStatements, skipUnless, stream } from './support.js';

/** A redis-server on a free port, stopped and started again by the test. */
class PrivateRedis {
  private proc: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'botdb-redis-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const redis = new PrivateRedis(port);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  async start(): Promise<void> {
    // No snapshots unless a test asks for one (SHUTDOWN SAVE); they go to a directory of its own.
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
    });
    this.proc = proc;
  }

  /** Stops the server: killed (all data lost), or shut down after saving what it holds. */
  async stop(how: 'kill' | 'save' = 'kill'): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    const exited = once(proc, 'exit');
    if (how === 'save') {
      const admin = createClient({ url: this.url });
      admin.on('error', () => undefined);
      await admin.connect();
      await admin.sendCommand(['SHUTDOWN', 'SAVE']).catch(() => undefined);
      admin.destroy();
    } else {
      proc.kill('SIGKILL');
    }
    await exited;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// The outage warnings are expected here; one test counts them.
const quiet = (): void => undefined;
/** A TCP proxy to Redis whose connections the test cuts (and refuses) until it mends them. */
class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  private open = true;

  private constructor(private readonly server: Server) {}

  static async start(target: number): Promise<CuttableProxy> {
    const server = createServer();
    const proxy = new CuttableProxy(server);
    server.on('connection', (client) => {
      if (!proxy.open) return void client.destroy();
      const upstream = connect(target, '127.0.0.1');
      for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
        proxy.sockets.add(from);
        from.on('error', () => undefined);
        from.on('close', () => {
          proxy.sockets.delete(from);
          to.destroy();
        });
        from.pipe(to);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  mend(): void {
    this.open = true;
  }

  close(): void {
    this.cut();
    this.server.close();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves `p`, or rejects with `what` if it does not resolve within `ms`. */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until `ok()` holds; fails after `ms`. */
async function until(ms: number, ok: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

describe('CachePlugin while Redis is down', function () {
  this.timeout(60_000);
  const ACK_MS = 500;
  const dbs = new Databases('sqlite');
  let redis: PrivateRedis;
  let admin: ReturnType<typeof createClient> | undefined;
  let channel = '';

  before(async function () {
    skipUnless(this, REDIS_URL, 'BOTDB_REDIS_URL');
    redis = await PrivateRedis.start();
  });
  afterEach(async function () {
    admin?.destroy();
    admin = undefined;
    if (redis && !redis.running) await redis.start();
    await dbs.cleanup();
  });
  after(async () => {
    await redis?.cleanup();
  });

  function l2(url = redis.url, extra: object = {}): Keyv {
    const keyv = new Keyv({ store: new KeyvRedis({ url, ...extra }), namespace: `botdb-outage-${channel}` });
    keyv.on('error', () => undefined);
    return keyv;
  }

  function cache(options: CachePluginOptions = {}): CachePlugin {
    return new CachePlugin({ redisUrl: redis.url, channel, ackTimeoutMs: ACK_MS, l2: l2(), ...options });
  }

  // Two processes' databases on one SQLite file, each with its own cache and bus clients.
  async function pair(name: string, options: CachePluginOptions = {}): Promise<[Database, Database]> {
    channel = `botdb:outage:${randomBytes(4).toString('hex')}`;
    const a = await dbs.create({ warn: quiet, plugins: [cache(options)] }, name);
    const b = await dbs.create({ warn: quiet, plugins: [cache(options)] }, name);
    return [a, b];
  }

  // Both subscribed on the restarted server and past their reconnect handling.
  async function reconnected(...databases: Database[]): Promise<void> {
    admin ??= createClient({ url: redis.url });
    if (!admin.isOpen) await admin.connect();
    const client = admin;
    await until(10_000, async () => {
      const [, subscribers] = (await client.sendCommand(['PUBSUB', 'NUMSUB', channel])) as [string, number];
      return subscribers >= databases.length && databases.every((db) => CachePlugin.getStats(db)!.degraded !== true);
    }, 'reconnected');
  }

  it('a write while Redis is down resolves within ackTimeoutMs of its commit (the client does not hold its publish)', async function () {
    const [a] = await pair('write');
    await a.create(ChatStreams, stream('w1'));
    await redis.stop();
    for (let i = 1; i <= 3; i++) {
      await within(ACK_MS + 2_000, a.update(ChatStreams, { stream_id: 'w1' }, { message_count: i }), `write ${i} while Redis is down`);
    }
    expect(CachePlugin.getStats(a)!.busErrors).to.be.greaterThan(0);
  });

  it('createDatabase resolves while Redis is down; the cache runs without caching, warns once, and resumes when Redis is back', async function () {
    channel = `botdb:outage:${randomBytes(4).toString('hex')}`;
    await redis.stop();
    const warnings: string[] = [];
    const db = await within(10_000, dbs.create({ warn: (m) => warnings.push(m), plugins: [cache()] }), 'createDatabase while Redis is down');
    expect(CachePlugin.getStats(db)!.degraded).to.equal(true);
    expect(warnings).to.have.length(1);
    await db.create(ChatStreams, stream('d1'));
    const sql = recordStatements(db);
    await db.get(ChatStreams, { filters: { stream_id: 'd1' }, single: true });
    await db.get(ChatStreams, { filters: { stream_id: 'd1' }, single: true });
    expect(sql.count, 'nothing cached while the bus is down').to.equal(2);

    await redis.start();
    await reconnected(db);
    expect(CachePlugin.getStats(db)!.busGaps).to.equal(1);
    await db.get(ChatStreams, { filters: { stream_id: 'd1' }, single: true });
    sql.reset();
    expect((await db.get(ChatStreams, { filters: { stream_id: 'd1' }, single: true }))?.stream_id).to.equal('d1');
    expect(sql.count, 'cached again once the bus is back').to.equal(0);
    expect(warnings).to.have.length(1);
  });

  it('after a restart, no stale read in 100 rows the other process changed while Redis was down or while the bus re-subscribed', async function () {
    const [a, b] = await pair('gap');
    const ids = Array.from({ length: 100 }, (_, i) => `g${i}`);
    await a.createMany(ChatStreams, ids.map((id) => stream(id)));
    const readAll = () => Promise.all(ids.map((id) => b.get(ChatStreams, { filters: { stream_id: id }, single: true })));
    const staleIn = (rows: Awaited<ReturnType<typeof readAll>>) => rows.filter((r) => r?.message_count !== 1).length;
    await readAll();
    const hits = CachePlugin.getStats(b)!.hitsL1;
    await readAll();
    expect(CachePlugin.getStats(b)!.hitsL1 - hits, 'b caches the rows').to.equal(100);

    await redis.stop();
    for (const id of ids.slice(0, 50)) await a.update(ChatStreams, { stream_id: id }, { message_count: 1 });
    expect(staleIn((await readAll()).slice(0, 50)), 'stale reads while Redis is down').to.equal(0);

    // The rest while both reconnect: some are published before b has re-subscribed.
    await redis.start();
    for (const id of ids.slice(50)) await a.update(ChatStreams, { stream_id: id }, { message_count: 1 });
    await reconnected(a, b);
    expect(staleIn(await readAll()), 'stale reads after Redis is back').to.equal(0);
    const before = CachePlugin.getStats(b)!.hitsL1;
    expect(staleIn(await readAll())).to.equal(0);
    expect(CachePlugin.getStats(b)!.hitsL1 - before, 'b caches again').to.equal(100);
  });

  it('a process cut off from Redis while the others go on: no stale read in 100 rows they wrote meanwhile, during the cut or after it', async function () {
    channel = `botdb:outage:${randomBytes(4).toString('hex')}`;
    const proxy = await CuttableProxy.start(redis.port);
    try {
      const a = await dbs.create({ warn: quiet, plugins: [cache()] }, 'cut');
      const b = await dbs.create({ warn: quiet, plugins: [cache({ redisUrl: proxy.url, l2: l2(proxy.url) })] }, 'cut');
      const ids = Array.from({ length: 100 }, (_, i) => `k${i}`);
      await a.createMany(ChatStreams, ids.map((id) => stream(id)));
      const readAll = () => Promise.all(ids.map((id) => b.get(ChatStreams, { filters: { stream_id: id }, single: true })));
      const staleIn = (rows: Awaited<ReturnType<typeof readAll>>, value: number) => rows.filter((r) => r?.message_count !== value).length;
      await readAll();
      await reconnected(a, b);

      const errors = CachePlugin.getStats(b)!.busErrors;
      proxy.cut();
      await until(10_000, () => CachePlugin.getStats(b)!.busErrors > errors, 'b notices the cut');
      for (const id of ids) await a.update(ChatStreams, { stream_id: id }, { message_count: 1 });
      expect(staleIn(await readAll(), 1), 'stale reads during the cut').to.equal(0);
      // Published while b reconnects and re-subscribes: some of these reach no one either.
      proxy.mend();
      for (const id of ids) await a.update(ChatStreams, { stream_id: id }, { message_count: 2 });
      await reconnected(a, b);
      expect(staleIn(await readAll(), 2), 'stale reads after the cut').to.equal(0);
      expect(CachePlugin.getStats(b)!.busGaps).to.equal(1);
    } finally {
      proxy.close();
    }
  });

  it('a row another process inserted while Redis was down or re-subscribing is found after (the Bloom filters are rebuilt)', async function () {
    const [a, b] = await pair('bloom');
    const find = (id: string) => b.get(ChatStreams, { filters: { stream_id: id }, single: true });
    expect(await find('late-1')).to.equal(null);
    expect(await find('late-2')).to.equal(null);
    await redis.stop();
    await a.create(ChatStreams, stream('late-1'));
    await redis.start();
    await a.create(ChatStreams, stream('late-2'));
    await reconnected(a, b);
    // The rebuild runs in the background; until it is done the filters answer nothing.
    for (let i = 0; i < 20; i++) {
      expect((await find('late-1'))?.stream_id, `late-1, read ${i}`).to.equal('late-1');
      expect((await find('late-2'))?.stream_id, `late-2, read ${i}`).to.equal('late-2');
      await sleep(20);
    }
    expect(await find('never')).to.equal(null);
    await until(10_000, async () => (await find('never'), CachePlugin.getStats(b)!.bloomRejections > 0), 'Bloom filters rebuilt');
  });

  it('an L2 entry stored before a gap is not used after it, though the writer could not give it a new generation', async function () {
    // A Redis that keeps its data over the restart, and a writer whose L2 client drops what it
    // cannot send (no offline queue): its generation bump during the outage is lost.
    channel = `botdb:outage:${randomBytes(4).toString('hex')}`;
    const a = await dbs.create({ warn: quiet, plugins: [cache({ l2: l2(redis.url, { disableOfflineQueue: true }) })] }, 'l2gap');
    const b = await dbs.create({ warn: quiet, plugins: [cache()] }, 'l2gap');
    await a.create(ChatStreams, stream('x1'));
    expect((await b.get(ChatStreams, { filters: { stream_id: 'x1' }, single: true }))?.message_count).to.equal(0);
    const gens = l2();
    const gen = () => gens.get<string>('botdb:gen:ChatStreams');
    const before = await gen();
    expect(before).to.be.a('string');

    await redis.stop('save');
    await a.update(ChatStreams, { stream_id: 'x1' }, { message_count: 5 });
    await redis.start();
    await reconnected(a, b);
    await until(10_000, async () => (await gen()) !== before, 'generations renewed after the gap');
    // A process started after the outage had no gap of its own: only the generations renewed by
    // those that had one keep it from the entry b stored before.
    const c = await dbs.create({ warn: quiet, plugins: [cache()] }, 'l2gap');
    expect((await c.get(ChatStreams, { filters: { stream_id: 'x1' }, single: true }))?.message_count).to.equal(5);
    expect(CachePlugin.getStats(c)!.hitsL2).to.equal(0);
    await gens.disconnect();
  });

  it('L2 calls while its Redis is down take at most l2TimeoutMs each', async function () {
    const other = await PrivateRedis.start();
    try {
      channel = `botdb:outage:${randomBytes(4).toString('hex')}`;
      const db = await dbs.create({ warn: quiet, plugins: [cache({ l2: l2(other.url), l2TimeoutMs: 100 })] });
      await db.createMany(ChatStreams, [stream('t1'), stream('t2'), stream('t3')]);
      await other.stop();
      for (const id of ['t1', 't2', 't3']) {
        await within(100 * 2 + 2_000, db.get(ChatStreams, { filters: { stream_id: id }, single: true }), `read of ${id}`);
      }
      await within(100 * 2 + 2_000, db.update(ChatStreams, { stream_id: 't1' }, { message_count: 1 }), 'write');
      expect(CachePlugin.getStats(db)!.l2Errors).to.be.greaterThan(0);
    } finally {
      await other.cleanup();
    }
  });
});
