/**
 * Point read by unique key: one chat_streams row by `stream_id` (unique index), keys drawn
 * uniformly from the fixture's streams. Every implementation returns the full row.
 */
import { ChatStreams, Messages, createDatabase, type ChatStreamsRow, type Database } from '@botdb/core';
import { Random } from '@botdb/example-chat-sim';
import { openMikroOrm, type PlainOrm } from '../baselines/mikro-orm.js';
import { openRaw, type RawDriver } from '../baselines/raw.js';
import { fixture, measureCases, missingPlugins, pluginsFor, type BenchContext, type CaseResult, type CaseSpec } from '../context.js';
import { serial } from '../harness.js';
import type { Target } from '../targets.js';
import { answeredBy } from './observe.js';

const KEYS = 4096;

export async function pointRead(ctx: BenchContext, target: Target): Promise<CaseResult[]> {
  const f = await fixture(ctx, target, { chats: ctx.quick ? 300 : 1000, people: ctx.quick ? 500 : 2000, emojis: 10, historyPerChat: 0 });
  const random = new Random(11);
  const ids = f.world.chats.map((c) => c.streamId);
  const keys = Array.from({ length: KEYS }, () => ids[random.int(ids.length)]!);
  const key = (i: number) => keys[i & (KEYS - 1)]!;
  const get = (db: Database, id: string) => db.get(ChatStreams, { filters: { stream_id: id }, single: true });
  let raw: RawDriver | undefined;
  let m: PlainOrm | undefined;
  const dbs: Database[] = [];
  try {
    raw = await openRaw(f);
    const r = raw;
    m = await openMikroOrm(f);
    const orm = m.orm;
    const cachedFind = (id: string) => orm.em.fork().findOne(ChatStreams, { stream_id: id }, { cache: 60_000 });
    for (const id of ids) await cachedFind(id);
    const plain = await createDatabase({ ...f.config, plugins: [] });
    dbs.push(plain);
    const map = new Map<string, ChatStreamsRow>();
    for (const row of await plain.get(ChatStreams, {})) map.set(row.stream_id, row);

    const specs: CaseSpec[] = [
      { id: 'raw', label: 'raw driver, prepared statement', rep: (ms) => serial((i) => r.pointRead(key(i)), ms) },
      { id: 'mikro-orm', label: 'MikroORM em.fork().findOne', rep: (ms) => serial((i) => orm.em.fork().findOne(ChatStreams, { stream_id: key(i) }), ms) },
      { id: 'mikro-orm-cache', label: 'MikroORM findOne, result cache (60 s)', rep: (ms) => serial((i) => cachedFind(key(i)), ms) },
      { id: 'botdb', label: 'botdb db.get, no plugins', rep: (ms) => serial((i) => get(plain, key(i)), ms) },
    ];
    const label = 'botdb db.get + cache (L1 hit)';
    const na = missingPlugins(ctx, ['cache']);
    if (na) specs.push({ id: 'botdb-cache', label, na });
    else {
      const cached = await createDatabase({ ...f.config, plugins: await pluginsFor(ctx, ['cache']) });
      dbs.push(cached);
      for (const id of ids) await get(cached, id);
      const seen = answeredBy(cached);
      specs.push({ id: 'botdb-cache', label, rep: (ms) => serial((i) => get(cached, key(i)), ms), extra: () => ({ answeredBy: seen }) });
      // A miss: the cache emptied (untimed) before each read, so each timed read queries and fills.
      const missDb = await createDatabase({ ...f.config, plugins: await pluginsFor(ctx, ['cache']) });
      dbs.push(missDb);
      const cache = missDb.config.plugins.find((p) => p.name === 'CachePlugin') as unknown as { clear(entity?: string): void };
      // lru-cache resets its whole store (O(its capacity)) when its last entry goes: keep another.
      await missDb.count(Messages, {});
      specs.push({ id: 'botdb-cache-miss', label: 'botdb db.get + cache (miss: query and fill)', rep: (ms) => serial((i) => get(missDb, key(i)), ms, { untimed: () => cache.clear('ChatStreams') }) });
      // Timed as Map.get is, for the comparison with it (per-call timers would add to botdb only).
      specs.push({ id: 'botdb-cache-batched', label: `${label}, timed in batches of 1000`, rep: (ms) => serial((i) => get(cached, key(i)), ms, { batch: 1000 }) });
    }
    specs.push({ id: 'map', label: 'Map.get (in-process floor)', rep: (ms) => serial((i) => map.get(key(i)), ms, { batch: 1000 }) });
    ctx.log(`  point-read: ${specs.filter((s) => s.rep).length} cases, interleaved`);
    return await measureCases(ctx.micro, { dialect: target.dialect, scenario: 'point-read', unit: 'reads' }, specs);
  } finally {
    for (const db of dbs) await db.close();
    await m?.close();
    await raw?.close();
    await f.dispose();
  }
}
