/**
 * 4. Redis stopped and restarted under the cache (L1, L2 in Redis, invalidation bus) shared by
 * two processes. Checked: no write takes longer than ackTimeoutMs plus its commit (a bus that
 * is down must not hold writes), and once Redis is back no process serves a value older than
 * the last acknowledged write, including writes made while Redis was down.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChatStreams, createDatabase, type Database } from '../deps.js';
import { checkStandard, codeOf, outcome, sleep, stallProbe, type Mode, type Outcome, type Scenario } from '../scenario.js';
import { ACK_TIMEOUT_MS, cachePlugin } from '../support/cache-config.js';
import type { PeerReply, PeerRequest } from '../support/cache-protocol.js';
import { startRedis } from '../support/redis-server.js';

/** A call not answered in this long counts as failed ("timeout"); the scenario goes on. */
const CALL_TIMEOUT_MS = 3_000;
/** What a write may take on top of ackTimeoutMs: its commit on SQLite, generously. */
const COMMIT_ALLOWANCE_MS = 250;
const STREAMS = ['r0', 'r1', 'r2', 'r3'];

/** One side of the pair: this process's database, or the peer over IPC. */
interface Side {
  get(streamId: string): Promise<PeerReply>;
  update(streamId: string, value: number): Promise<PeerReply>;
}

/** `call`, or a "timeout" failure once CALL_TIMEOUT_MS passed (the call itself goes on). */
function bounded(call: Promise<PeerReply>): Promise<PeerReply> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<PeerReply>((resolve) => {
    timer = setTimeout(() => resolve({ id: 0, error: 'timeout', ms: CALL_TIMEOUT_MS }), CALL_TIMEOUT_MS);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

function local(db: Database): Side {
  const timed = (fn: () => Promise<number | undefined>): Promise<PeerReply> => {
    const start = performance.now();
    return bounded(
      fn().then(
        (value) => ({ id: 0, value, ms: performance.now() - start }),
        (e: unknown) => ({ id: 0, error: codeOf(e), ms: performance.now() - start }),
      ),
    );
  };
  return {
    get: (streamId) => timed(async () => (await db.get(ChatStreams, { filters: { stream_id: streamId }, single: true }))?.message_count as number | undefined),
    update: (streamId, value) => timed(async () => (await db.update(ChatStreams, { stream_id: streamId }, { message_count: value }), value)),
  };
}

function remote(peer: ChildProcess): Side {
  let seq = 0;
  const ask = (req: { op: 'get'; streamId: string } | { op: 'update'; streamId: string; value: number }): Promise<PeerReply> =>
    bounded(new Promise((resolve) => {
      const id = ++seq;
      const onMessage = (m: PeerReply) => {
        if (m.id !== id) return;
        peer.off('message', onMessage);
        resolve(m);
      };
      peer.on('message', onMessage);
      peer.send({ ...req, id } as PeerRequest);
    }));
  return { get: (streamId) => ask({ op: 'get', streamId }), update: (streamId, value) => ask({ op: 'update', streamId, value }) };
}

/**
 * Whether a read returned a value older than the last acknowledged write. Values only grow, and
 * a write that timed out may still have committed (its wait for the bus timed out, not its
 * commit): a newer value than the last acknowledged one is not stale.
 */
function isStale(r: PeerReply, latest: number): boolean {
  return r.error === undefined && (r.value === undefined || r.value < latest);
}

export const redisRestart: Scenario = {
  name: 'Redis stopped and restarted under cache L2 + bus (two processes)',
  async run(mode: Mode): Promise<Outcome> {
    const redis = await startRedis();
    if (typeof redis === 'string') return { ...outcome(), skipped: redis };
    const o = outcome();
    o.staleReads = 0;
    const dir = mkdtempSync(join(tmpdir(), 'botdb-chaos-redis-'));
    const url = `sqlite:${join(dir, 'shared.db')}`;
    const channel = `botdb:chaos:${randomBytes(4).toString('hex')}`;
    const namespace = `botdb-chaos-${randomBytes(4).toString('hex')}`;
    let peer: ChildProcess | undefined;
    let db: Database | undefined;
    let slowest = 0;
    let outageStale = 0;
    const failures: string[] = [];
    try {
      db = await createDatabase({ url, plugins: [await cachePlugin(redis.url, channel, namespace)] });
      await db.createMany(ChatStreams, STREAMS.map((s) => ({ stream_id: s, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: s, user_nickname: 'n' })));
      peer = fork(fileURLToPath(new URL('../support/cache-peer.ts', import.meta.url)), [url, redis.url, channel, namespace], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise<void>((resolve) => peer!.once('message', () => resolve()));
      const sides = [local(db), remote(peer)] as const;
      /** The last acknowledged value per stream. */
      const latest = new Map(STREAMS.map((s) => [s, 0]));
      let value = 0;

      /**
       * One round per stream: the reader caches the row, the writer (alternating processes)
       * writes it, the reader reads again. Returns the stale reads seen.
       */
      const rounds = async (count: number): Promise<number> => {
        let stale = 0;
        for (let i = 0; i < count; i++) {
          for (const [k, s] of STREAMS.entries()) {
            const writer = sides[(i + k) % 2]!;
            const reader = sides[(i + k + 1) % 2]!;
            await reader.get(s);
            await reader.get(s);
            const w = await writer.update(s, ++value);
            slowest = Math.max(slowest, w.ms);
            if (w.error !== undefined) {
              failures.push(w.error);
              continue;
            }
            latest.set(s, value);
            o.acked++;
            const r = await reader.get(s);
            if (isStale(r, latest.get(s)!)) stale++;
          }
          o.rounds++;
        }
        return stale;
      };
      /** Both processes read every stream: stale reads of the last acknowledged values. */
      const sweep = async (): Promise<number> => {
        let stale = 0;
        for (const side of sides) {
          for (const s of STREAMS) {
            const r = await side.get(s);
            if (isStale(r, latest.get(s)!)) stale++;
          }
        }
        return stale;
      };

      const probe = stallProbe();
      const step = (what: string) => process.env.BOTDB_CHAOS_DEBUG && console.log(`   [${(performance.now() / 1000).toFixed(1)} s] ${what}`);
      const outages = mode === 'long' ? 3 : 1;
      for (let n = 0; n < outages; n++) {
        o.staleReads += await rounds(3);
        step('stopping Redis');
        await redis.stop();
        // While Redis is down writes may not reach the other process (a bus error, counted);
        // they must still resolve within ackTimeoutMs plus their commit.
        outageStale += await rounds(1);
        step('starting Redis');
        await redis.start();
        step('Redis started');
        // Reconnect time: the clients retry with backoff.
        await sleep(3000);
        step('sweep');
        o.staleReads += await sweep();
        o.staleReads += await rounds(3);
        step('done');
      }
      o.stallMs = probe.stop();
    } finally {
      peer?.disconnect();
      await db?.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const limit = ACK_TIMEOUT_MS + COMMIT_ALLOWANCE_MS;
    o.checks.push({ name: 'slowest write <= ackTimeoutMs + commit', ok: slowest <= limit, detail: `${Math.round(slowest)} ms (limit ${limit} ms)` });
    o.notes.push(`stale reads while Redis was down (not a guarantee: the bus cannot reach the other process): ${outageStale}`);
    if (failures.length > 0) o.notes.push(`failed writes: ${failures.join(', ')}`);
    o.checks.push({ name: 'failed writes carry a code (a call unanswered after 3 s counts as "timeout", and as slow above)', ok: !failures.includes('uncoded'), detail: `${failures.length} failed` });
    checkStandard(o);
    return o;
  },
};
