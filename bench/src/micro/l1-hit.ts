/**
 * What an L1 hit through `db.get` costs next to the floors under it, in one process, timed the
 * same way (loops of calls, no per-call timer): a bare `Map.get`, and `await` of a `Map.get`,
 * the least any promise-returning API costs its caller. The "within 10× of Map.get" is
 * measured against the first; the second shows how much of that budget one await takes.
 *
 *   pnpm --filter @botdb/bench exec node --import tsx src/micro/l1-hit.ts
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatStreams, createDatabase, type ChatStreamsRow } from '@botdb/core';
import { CachePlugin } from '@botdb/cache';
import { World, resolveWorkloadOptions, seedWorld } from '@botdb/example-chat-sim';

const KEYS = 1024;
const ROUNDS = 7;
const CALLS = 300_000;

const file = join(tmpdir(), `botdb-l1-hit-${process.pid}.db`);
const db = await createDatabase({ url: `sqlite:${file}`, plugins: [new CachePlugin()] });
try {
  const world = new World(resolveWorkloadOptions({ tag: 'l1', chats: KEYS, people: KEYS, emojis: 10, historyPerChat: 0 }));
  await seedWorld(db, world);
  const ids = world.chats.map((c) => c.streamId);
  const map = new Map<string, ChatStreamsRow>();
  for (const id of ids) map.set(id, (await db.get(ChatStreams, { filters: { stream_id: id }, single: true }))!);
  // Let botdb's AsyncLocalStorage, on while seeding ran transactions, switch off (it does after 1 s idle).
  await new Promise((r) => setTimeout(r, 1100));

  let sink = 0;
  const cases = {
    'Map.get': async () => {
      for (let i = 0; i < CALLS; i++) if (map.get(ids[i & (KEYS - 1)]!)) sink++;
    },
    'await Map.get': async () => {
      for (let i = 0; i < CALLS; i++) if (await map.get(ids[i & (KEYS - 1)]!)) sink++;
    },
    'db.get, L1 hit': async () => {
      for (let i = 0; i < CALLS; i++) if (await db.get(ChatStreams, { filters: { stream_id: ids[i & (KEYS - 1)]! }, single: true })) sink++;
    },
  };
  const ns: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of Object.entries(cases)) {
      const t = performance.now();
      await run();
      ns[name]!.push(((performance.now() - t) / CALLS) * 1e6);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  const floor = median(ns['Map.get']!);
  console.log(`median of ${ROUNDS} rounds of ${CALLS.toLocaleString('en')} calls each (sink ${sink > 0})`);
  for (const [name, list] of Object.entries(ns)) console.log(`  ${name.padEnd(16)} ${median(list).toFixed(1).padStart(7)} ns   ${(median(list) / floor).toFixed(1).padStart(5)}× Map.get`);
  const stats = db.stats().CachePlugin as { hitsL1: number; misses: number };
  console.log(`  cache: ${stats.hitsL1.toLocaleString('en')} L1 hits, ${stats.misses} misses`);
} finally {
  await db.close();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}
