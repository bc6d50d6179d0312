/**
 * The randomized check shared by the SQLite and PostgreSQL tests: reads through the cache,
 * interleaved with writes through every write path, must equal the database's own answer.
 */
import { expect } from 'chai';
import { ChatStreams, Messages, PersonInfo, type Database, type GetOptions } from '@botdb/core';
import { message, prng, stream } from './support.js';

const CHATS = ['c0', 'c1', 'c2', 'c3'];

function readShapes(rand: () => number): [string, GetOptions & { entity: unknown; count?: boolean }][] {
  const chat = CHATS[Math.floor(rand() * CHATS.length)]!;
  return [
    ['stream by id', { entity: ChatStreams, filters: { stream_id: chat }, single: true }],
    ['stream absent', { entity: ChatStreams, filters: { stream_id: `absent-${Math.floor(rand() * 3)}` }, single: true }],
    ['recent messages', { entity: Messages, filters: { chat_id: chat }, orderBy: ['-time', '-id'], limit: 5 }],
    ['messages in', { entity: Messages, filters: { chat_id: { $in: [chat, 'c9'] }, is_mentioned: true }, orderBy: 'id' }],
    ['busy streams', { entity: ChatStreams, filters: { message_count: { $gt: 3 } }, orderBy: 'id' }],
    ['message count', { entity: Messages, filters: { chat_id: chat }, count: true }],
    ['person', { entity: PersonInfo, filters: { person_id: `p${Math.floor(rand() * 4)}` }, single: true }],
  ];
}

async function read(db: Database, shape: GetOptions & { entity: unknown; count?: boolean }, cache: boolean): Promise<unknown> {
  const { entity, count, ...opts } = shape;
  if (count) return db.count(entity as never, opts.filters, { cache });
  return db.get(entity as never, { ...opts, cache });
}

/** Runs `steps` random operations; after each, every read shape cached must equal uncached. */
export async function runConsistency(db: Database, seed: number, steps: number): Promise<{ checks: number; writes: number }> {
  const rand = prng(seed);
  let time = 1000;
  let checks = 0;
  let writes = 0;
  for (const c of CHATS.slice(0, 2)) await db.create(ChatStreams, stream(c));

  const ops: (() => Promise<unknown>)[] = [
    () => db.create(Messages, message(pick(), ++time, { is_mentioned: rand() < 0.5 })),
    () => db.createMany(Messages, [message(pick(), ++time), message(pick(), ++time, { is_mentioned: true })]),
    () => db.update(ChatStreams, { stream_id: pick() }, { message_count: Math.floor(rand() * 8), last_active_time: ++time }),
    () => {
      const id = pick();
      return db.save(ChatStreams, stream(id, { message_count: Math.floor(rand() * 8) }), { keyField: 'stream_id', keyValue: id });
    },
    () => db.delete(Messages, { chat_id: pick(), time: { $lt: time - Math.floor(rand() * 20) } }),
    () => db.update(Messages, { chat_id: pick(), time: { $gt: time - 3 } }, { chat_id: pick() }), // moves rows between chats
    () => {
      const id = `p${Math.floor(rand() * 4)}`;
      return db.save(PersonInfo, { person_id: id, platform: 'qq', user_id: 'u', nickname: `n${++time}` }, { keyField: 'person_id', keyValue: id });
    },
    () =>
      db.session(async (em) => {
        const s = await em.findOne(ChatStreams, { stream_id: pick() });
        if (s) s.message_count = Math.floor(rand() * 8);
        em.persist(em.create(Messages, message(pick(), ++time) as never));
      }),
    () =>
      db
        .session(async (em) => {
          await db.update(ChatStreams, { stream_id: pick() }, { message_count: 99 });
          await em.nativeUpdate(Messages, { chat_id: pick() }, { is_mentioned: true });
          throw new Error('rolled back');
        })
        .catch(() => undefined),
    () => db.session(async (em) => em.nativeUpdate(ChatStreams, { stream_id: pick() }, { message_count: Math.floor(rand() * 8) })),
    () => db.session(async (em) => em.nativeDelete(Messages, { chat_id: pick(), time: { $lt: time - 30 } })),
    () => db.session(async (em) => em.createQueryBuilder(Messages).update({ is_mentioned: false }).where({ chat_id: pick() }).execute()),
  ];
  function pick(): string {
    return CHATS[Math.floor(rand() * CHATS.length)]!;
  }

  for (let step = 0; step < steps; step++) {
    // Warm the cache with the read shapes, so that writes have entries to invalidate.
    const shapes = readShapes(rand);
    await Promise.all(shapes.map(([, s]) => read(db, s, true)));
    // Writes, sometimes several concurrently with reads in between.
    const n = rand() < 0.3 ? 3 : 1;
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      batch.push(ops[Math.floor(rand() * ops.length)]!());
      writes++;
      if (rand() < 0.5) batch.push(...shapes.map(([, s]) => read(db, s, true)));
    }
    await Promise.all(batch);
    for (const [name, s] of shapes) {
      const cached = await read(db, s, true);
      const fresh = await read(db, s, false);
      expect(cached, `step ${step} (seed ${seed}): ${name}`).to.deep.equal(fresh);
      checks++;
    }
  }
  return { checks, writes };
}
