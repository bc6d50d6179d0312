/**
 * 7. Memory soak: chat turns with the cache and batch plugins, mixed with an adversarial key mix
 * (negative lookups of huge random keys, `$in` lists of random lengths up to the 30,000-value
 * cap, windows of random chats and limits, counts over random ranges, bursts of inserts). The
 * cache's bytes stay under `maxBytes`, the fill-race log under its per-entity cap, and the heap
 * levels off instead of growing with the run. Short: 20 s; long: 5 minutes. Prints the curve.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchPlugin, CachePlugin, ChatStreams, createDatabase, Messages, prng } from '../deps.js';
import { message, outcome, type Mode, type Outcome, type Scenario } from '../scenario.js';

const MAX_BYTES = 16 * 1024 * 1024;
const LOG_CAP = 10_000;

export const memory: Scenario = {
  name: 'memory soak: adversarial keys under the cache and batch plugins',
  async run(mode: Mode): Promise<Outcome> {
    const o = outcome();
    const seconds = mode === 'long' ? 300 : 20;
    const dir = mkdtempSync(join(tmpdir(), 'botdb-chaos-memory-'));
    const cache = new CachePlugin({ maxBytes: MAX_BYTES, changeLogMs: 2_000 });
    const db = await createDatabase({ url: `sqlite:${join(dir, 'soak.db')}`, plugins: [cache, new BatchPlugin()] });
    const rand = prng(7);
    const chats = Array.from({ length: 200 }, (_, i) => `soak-${i}`);
    try {
      await db.createMany(
        ChatStreams,
        chats.map((c) => ({ stream_id: c, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: c, user_nickname: 'n' })),
      );
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      const heap0 = process.memoryUsage().heapUsed;
      const samples: { s: number; heapMb: number; cacheMb: number; log: number }[] = [];
      let worstCache = 0;
      let worstLog = 0;
      let n = 0;
      const start = performance.now();
      let nextSample = 0;
      const randomKey = (len: number) => {
        let s = '';
        while (s.length < len) s += Math.floor(rand() * 2 ** 32).toString(36);
        return s.slice(0, len);
      };
      while (performance.now() - start < seconds * 1000) {
        const chat = chats[Math.floor(rand() * chats.length)]!;
        const ops: Promise<unknown>[] = [
          db.get(ChatStreams, { filters: { stream_id: chat }, single: true }),
          db.create(Messages, message(chat, `soak-${++n}`, n)),
          db.update(ChatStreams, { stream_id: chat }, { message_count: { $inc: 1 }, last_active_time: n }),
          db.get(Messages, { filters: { chat_id: chat }, orderBy: '-time', limit: 1 + Math.floor(rand() * 50) }),
          // Adversarial: a key no row has, up to 64 KB long.
          db.get(ChatStreams, { filters: { stream_id: randomKey(1 + Math.floor(rand() * 65_536)) }, single: true }),
          // Adversarial: an $in list of a random length.
          db.count(Messages, { chat_id: { $in: Array.from({ length: 1 + Math.floor(rand() * 30_000) }, () => randomKey(12)) } }),
          // Adversarial: many distinct small keys and ranges.
          db.count(Messages, { time: { $gt: Math.floor(rand() * n) } }),
          db.get(Messages, { filters: { message_id: randomKey(20) } }),
        ];
        await Promise.all(ops);
        o.acked += 2;
        const elapsed = (performance.now() - start) / 1000;
        const stats = cache.stats();
        worstCache = Math.max(worstCache, stats.bytesL1);
        worstLog = Math.max(worstLog, stats.changeLogSize);
        if (elapsed >= nextSample) {
          samples.push({ s: Math.round(elapsed), heapMb: process.memoryUsage().heapUsed / 2 ** 20, cacheMb: stats.bytesL1 / 2 ** 20, log: stats.changeLogSize });
          nextSample += seconds / 10;
        }
      }
      o.rounds = n;
      gc?.();
      const heapEnd = process.memoryUsage().heapUsed;
      const stored = await db.count(Messages, { message_id: { $gt: 'soak-' } }, { cache: false });
      o.lost = Math.max(0, n - stored);
      o.notes.push(`heap ${(heap0 / 2 ** 20).toFixed(0)} MB at start, ${(heapEnd / 2 ** 20).toFixed(0)} MB at the end${gc ? ' (after gc)' : ''}`);
      o.notes.push(`curve (s: heap MB / cache MB / log entries): ${samples.map((x) => `${x.s}: ${x.heapMb.toFixed(0)}/${x.cacheMb.toFixed(1)}/${x.log}`).join(', ')}`);
      o.checks.push({ name: 'cache bytes within maxBytes', ok: worstCache <= MAX_BYTES, detail: `max ${(worstCache / 2 ** 20).toFixed(1)} MB (limit ${MAX_BYTES / 2 ** 20} MB)` });
      o.checks.push({ name: 'fill-race log within its cap', ok: worstLog <= 2 * LOG_CAP, detail: `max ${worstLog} (cap ${LOG_CAP} per entity, 2 entities written)` });
      // Forgetting by time keeps the log level under steady traffic: it must not keep growing
      // (a log whose prune never ran grew in step with the run, far below the count cap).
      const early = samples[Math.max(1, Math.floor(samples.length / 4))]?.log ?? 0;
      const last = samples[samples.length - 1]?.log ?? 0;
      o.checks.push({ name: 'fill-race log levels off', ok: last <= 2 * early + 200, detail: `${early} entries at a quarter of the run, ${last} at the end (limit ${2 * early + 200})` });
      // The heap may hold the cache, the log, driver and JIT state; it must not grow with the run.
      const limit = heap0 + 4 * MAX_BYTES + 96 * 2 ** 20;
      const half = samples[Math.floor(samples.length / 2)]?.heapMb ?? 0;
      o.checks.push({ name: 'heap bounded', ok: heapEnd <= limit, detail: `${(heapEnd / 2 ** 20).toFixed(0)} MB (limit ${(limit / 2 ** 20).toFixed(0)} MB; ${half.toFixed(0)} MB halfway)` });
      o.checks.push({ name: 'acknowledged messages stored', ok: o.lost === 0, detail: `${stored} of ${n}` });
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return o;
  },
};
