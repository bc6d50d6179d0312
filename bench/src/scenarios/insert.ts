/**
 * Inserting messages rows (the bot's most frequent write). Throughput is in rows per second;
 * latency is per call (one row, or one 100-row batch). Concurrent cases have `writers` callers
 * each awaiting its own insert, as a bot's concurrent chats do.
 */
import { Messages, createDatabase, type Database, type Row } from '@botdb/core';
import { messageRow, type World } from '@botdb/example-chat-sim';
import { openMikroOrm, type PlainOrm } from '../baselines/mikro-orm.js';
import { openRaw, withDefaults, type RawDriver } from '../baselines/raw.js';
import { fixture, measureCases, missingPlugins, pluginsFor, type BenchContext, type CaseResult, type CaseSpec } from '../context.js';
import { concurrent, serial } from '../harness.js';
import type { Target } from '../targets.js';

const BATCH = 100;

function rowMaker(world: World, prefix: string): () => Row {
  let n = 0;
  return () => {
    const k = n++;
    const chat = world.chats[k % world.chats.length]!;
    const sender = chat.members[k % chat.members.length]!;
    const time = Date.now() / 1000;
    return messageRow(chat, sender, `${prefix}-${k}`, `insert ${k}`, time, { create_time: chat.createTime, last_active_time: time }) as Row;
  };
}

function batchOf(make: () => Row): Row[] {
  return Array.from({ length: BATCH }, make);
}

export async function inserts(ctx: BenchContext, target: Target): Promise<CaseResult[]> {
  const f = await fixture(ctx, target, { chats: 100, people: 500, emojis: 10, historyPerChat: 0 });
  let raw: RawDriver | undefined;
  let m: PlainOrm | undefined;
  const dbs: Database[] = [];
  try {
    raw = await openRaw(f);
    const r = raw;
    m = await openMikroOrm(f);
    const orm = m.orm;
    const plain = await createDatabase({ ...f.config, plugins: [] });
    dbs.push(plain);
    const make = rowMaker(f.world, 'bench');
    const persistFlush = async () => {
      const em = orm.em.fork();
      em.create(Messages, make() as never);
      await em.flush();
    };
    const specs: CaseSpec[] = [
      { id: 'raw', label: 'raw driver, one row per statement (autocommit)', rep: (ms) => serial(() => r.insert(make()), ms) },
      { id: 'raw-tx100', label: `raw driver, ${BATCH}-row transactions`, rep: (ms) => serial(() => r.insertTx(batchOf(make)), ms, { unitsPerCall: BATCH }) },
      { id: 'mikro-orm', label: 'MikroORM persist + flush, one row per fork', rep: (ms) => serial(persistFlush, ms) },
      {
        id: 'mikro-orm-many',
        label: `MikroORM em.insertMany, ${BATCH} rows`,
        rep: (ms) => serial(() => orm.em.fork().insertMany(Messages, batchOf(make).map(withDefaults) as never[]), ms, { unitsPerCall: BATCH }),
      },
      { id: 'botdb', label: 'botdb db.create, no plugins', rep: (ms) => serial(() => plain.create(Messages, make()), ms) },
      { id: 'botdb-many', label: `botdb db.createMany, ${BATCH} rows`, rep: (ms) => serial(() => plain.createMany(Messages, batchOf(make)), ms, { unitsPerCall: BATCH }) },
      { id: 'botdb-concurrent', label: `botdb db.create, no plugins, ${ctx.writers} concurrent callers`, rep: (ms) => concurrent(() => plain.create(Messages, make()), ms, ctx.writers) },
    ];
    const label = `botdb db.create + batch, ${ctx.writers} concurrent callers`;
    const na = missingPlugins(ctx, ['batch']);
    if (na) specs.push({ id: 'botdb-batch', label, na });
    else {
      const batched = await createDatabase({ ...f.config, plugins: await pluginsFor(ctx, ['batch']) });
      dbs.push(batched);
      specs.push({ id: 'botdb-batch', label, rep: (ms) => concurrent(() => batched.create(Messages, make()), ms, ctx.writers) });
      // More concurrent callers make larger flushes; hand-written code committing per row or
      // per 100 rows does not gain from them. Not a goal's case: how batching scales.
      for (const writers of [4 * ctx.writers, 16 * ctx.writers]) {
        specs.push({ id: `botdb-batch-x${writers}`, label: `botdb db.create + batch, ${writers} concurrent callers`, rep: (ms) => concurrent(() => batched.create(Messages, make()), ms, writers) });
      }
    }
    ctx.log(`  insert: ${specs.filter((s) => s.rep).length} cases, interleaved`);
    return await measureCases(ctx.micro, { dialect: target.dialect, scenario: 'insert', unit: 'rows' }, specs);
  } finally {
    for (const db of dbs) await db.close();
    await m?.close();
    await raw?.close();
    await f.dispose();
  }
}
