/**
 * The recent N messages of a chat (`chat_id = ? ORDER BY time DESC LIMIT N`), N = 20 and 50,
 * chats drawn uniformly. botdb runs uncached, and with the cache on a miss, after a write and
 * on a hit. The miss case reads the first half of the chats with the cache emptied (untimed)
 * before each read, so each timed read runs the query and fills; the after-write case reads
 * them after an untimed insert into that chat (which the cache places into the cached list);
 * the hit case reads the other half, warmed up.
 */
import { ChatStreams, Messages, createDatabase, type Database } from '@botdb/core';
import { Random, messageRow, type World } from '@botdb/example-chat-sim';
import { QueryOrder } from '@mikro-orm/core';
import { openMikroOrm, type PlainOrm } from '../baselines/mikro-orm.js';
import { openRaw, type RawDriver } from '../baselines/raw.js';
import { fixture, measureCases, missingPlugins, pluginsFor, type BenchContext, type CaseResult, type CaseSpec } from '../context.js';
import { serial } from '../harness.js';
import type { Target } from '../targets.js';

const KEYS = 4096;
export const RECENT_LIMITS = [20, 50] as const;

function inserter(world: World, db: Database) {
  let n = 0;
  return (chatIndex: number) => {
    const chat = world.chats[chatIndex]!;
    const sender = chat.members[0]!;
    const time = Date.now() / 1000;
    return db.create(Messages, messageRow(chat, sender, `bench-miss-${++n}`, 'new message', time, { create_time: chat.createTime, last_active_time: time }));
  };
}

export async function recentMessages(ctx: BenchContext, target: Target): Promise<CaseResult[]> {
  const f = await fixture(ctx, target, { chats: ctx.quick ? 100 : 500, people: ctx.quick ? 500 : 2000, emojis: 10, historyPerChat: 60 });
  const chatCount = f.world.chats.length;
  const half = Math.floor(chatCount / 2);
  const random = new Random(13);
  const draw = (from: number, to: number) => Array.from({ length: KEYS }, () => from + random.int(to - from));
  const anyChat = draw(0, chatCount);
  const missChat = draw(0, half);
  const hitChat = draw(half, chatCount);
  const streamId = (chat: number) => f.world.chats[chat]!.streamId;
  const at = (list: number[], i: number) => list[i & (KEYS - 1)]!;
  let raw: RawDriver | undefined;
  let m: PlainOrm | undefined;
  const dbs: Database[] = [];
  const out: CaseResult[] = [];
  try {
    raw = await openRaw(f);
    const r = raw;
    m = await openMikroOrm(f);
    const orm = m.orm;
    const plain = await createDatabase({ ...f.config, plugins: [] });
    dbs.push(plain);
    const na = missingPlugins(ctx, ['cache']);
    const cached = na ? undefined : await createDatabase({ ...f.config, plugins: await pluginsFor(ctx, ['cache']) });
    if (cached) dbs.push(cached);

    for (const limit of RECENT_LIMITS) {
      const get = (db: Database, chat: number) => db.get(Messages, { filters: { chat_id: streamId(chat) }, orderBy: '-time', limit });
      const specs: CaseSpec[] = [
        { id: `raw@${limit}`, label: `raw driver (last ${limit})`, rep: (ms) => serial((i) => r.recent(streamId(at(anyChat, i)), limit), ms) },
        {
          id: `mikro-orm@${limit}`,
          label: `MikroORM em.fork().find (last ${limit})`,
          rep: (ms) => serial((i) => orm.em.fork().find(Messages, { chat_id: streamId(at(anyChat, i)) }, { orderBy: { time: QueryOrder.DESC }, limit }), ms),
        },
        { id: `botdb@${limit}`, label: `botdb db.get, no plugins (last ${limit})`, rep: (ms) => serial((i) => get(plain, at(anyChat, i)), ms) },
      ];
      const missLabel = `botdb + cache, miss (last ${limit})`;
      const hitLabel = `botdb + cache, L1 hit (last ${limit})`;
      const afterWriteLabel = `botdb + cache, read after an insert into the chat (last ${limit})`;
      if (!cached) {
        specs.push({ id: `botdb-cache-miss@${limit}`, label: missLabel, na }, { id: `botdb-cache-after-write@${limit}`, label: afterWriteLabel, na }, { id: `botdb-cache-hit@${limit}`, label: hitLabel, na });
      } else {
        const insert = inserter(f.world, cached);
        for (let c = half; c < chatCount; c++) await get(cached, c);
        // Which layer answered, per case: count only while that case runs.
        const seen: Record<'miss' | 'afterWrite' | 'hit', Record<string, number>> = { miss: {}, afterWrite: {}, hit: {} };
        let current: 'miss' | 'afterWrite' | 'hit' | undefined;
        cached.pipeline.hooks.afterRead.tap('bench', (_ctx, result) => {
          if (current) seen[current][result.source] = (seen[current][result.source] ?? 0) + 1;
        });
        const tracked = (which: 'miss' | 'afterWrite' | 'hit', run: (ms: number) => ReturnType<typeof serial>) => async (ms: number) => {
          current = which;
          try {
            return await run(ms);
          } finally {
            current = undefined;
          }
        };
        const cache = cached.config.plugins.find((p) => p.name === 'CachePlugin') as unknown as { clear(entity?: string): void };
        // lru-cache resets its whole store (O(its capacity)) when its last entry goes: keep one
        // entry of another entity, which clearing Messages leaves alone.
        await cached.count(ChatStreams, {});
        specs.push(
          { id: `botdb-cache-miss@${limit}`, label: missLabel, rep: tracked('miss', (ms) => serial((i) => get(cached, at(missChat, i)), ms, { untimed: () => cache.clear('Messages') })), extra: () => ({ answeredBy: seen.miss }) },
          {
            id: `botdb-cache-after-write@${limit}`,
            label: afterWriteLabel,
            rep: tracked('afterWrite', (ms) => serial((i) => get(cached, at(missChat, i)), ms, { untimed: (i) => insert(at(missChat, i)) })),
            extra: () => ({ answeredBy: seen.afterWrite }),
          },
          { id: `botdb-cache-hit@${limit}`, label: hitLabel, rep: tracked('hit', (ms) => serial((i) => get(cached, at(hitChat, i)), ms)), extra: () => ({ answeredBy: seen.hit }) },
        );
      }
      ctx.log(`  recent ${limit}: ${specs.filter((s) => s.rep).length} cases, interleaved`);
      const results = await measureCases(ctx.micro, { dialect: target.dialect, scenario: 'recent', unit: 'reads' }, specs);
      out.push(...results.map((c) => ({ ...c, extra: { ...c.extra, limit } })));
    }
    return out;
  } finally {
    for (const db of dbs) await db.close();
    await m?.close();
    await raw?.close();
    await f.dispose();
  }
}

