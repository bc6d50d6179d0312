/**
 * The randomized check of maintained answers, shared by the SQLite, PostgreSQL and two-process
 * tests: ordered windows (ties, NULLs, text order, deletes inside full windows) and counts are
 * cached, random writes commit through every write path (including `$inc`, rows moving in and
 * out of filters, rolled-back transactions), and after each commit every cached answer must
 * equal the database's.
 */
import { expect } from 'chai';
import { ChatStreams, Messages, type Database, type FilterInput, type GetOptions } from '@botdb/core';
import { message, prng, stream } from './support.js';

const CHATS = ['c0', 'c1', 'c2'];
const TEXTS = ['a', 'B', 'b', 'é', 'Z', '😀', 'ab', ''];

/** One read: entity name, get options or a count's filter. */
export interface Shape {
  readonly entity: 'Messages' | 'ChatStreams';
  readonly count?: boolean;
  readonly options: GetOptions;
}

/** The read shapes checked each step: every chat's windows and counts, and a few scanned ones. */
export function shapes(): [string, Shape][] {
  const out: [string, Shape][] = [];
  for (const c of CHATS) {
    const f: FilterInput = { chat_id: c };
    out.push(
      [`${c} last 3`, { entity: 'Messages', options: { filters: f, orderBy: '-time', limit: 3 } }],
      [`${c} latest`, { entity: 'Messages', options: { filters: f, orderBy: '-time', single: true } }],
      [`${c} first 2`, { entity: 'Messages', options: { filters: f, orderBy: 'time', limit: 2 } }],
      [`${c} all by time`, { entity: 'Messages', options: { filters: f, orderBy: ['time'] } }],
      [`${c} by text`, { entity: 'Messages', options: { filters: f, orderBy: ['processed_plain_text', '-time'], limit: 3 } }],
      [`${c} by interest (NULLs)`, { entity: 'Messages', options: { filters: f, orderBy: '-interest_value', limit: 2 } }],
      [`${c} count`, { entity: 'Messages', count: true, options: { filters: f } }],
    );
  }
  out.push(
    ['mentioned last 4', { entity: 'Messages', options: { filters: { is_mentioned: true }, orderBy: '-time', limit: 4 } }],
    ['time >= 3, last 5', { entity: 'Messages', options: { filters: { time: { $gte: 3 } }, orderBy: ['-time'], limit: 5 } }],
    ['time < 4 count', { entity: 'Messages', count: true, options: { filters: { time: { $lt: 4 } } } }],
    ['busiest 2 streams', { entity: 'ChatStreams', options: { filters: {}, orderBy: '-message_count', limit: 2 } }],
    ['streams > 2 count', { entity: 'ChatStreams', count: true, options: { filters: { message_count: { $gt: 2 } } } }],
  );
  return out;
}

const ENTITIES = { Messages, ChatStreams } as const;

/** Reads a shape, through the cache or around it. */
export function read(db: Database, shape: Shape, cache: boolean): Promise<unknown> {
  const entity = ENTITIES[shape.entity];
  if (shape.count) return db.count(entity, shape.options.filters, { cache });
  return db.get(entity, { ...shape.options, cache });
}

/** A random write, as a function of the database it runs on (a `tx` handle inside transactions). */
type Op = (db: Database) => Promise<unknown>;

/** Options of `runMaintained`. */
export interface MaintainedOptions {
  readonly seed: number;
  readonly steps: number;
  /** Another process's cached answers to compare too (two-process runs). */
  readonly peerRead?: (shapes: readonly Shape[]) => Promise<unknown[]>;
  /** Runs a write in the other process instead (two-process runs), with the op's index and seed. */
  readonly peerWrite?: (op: number, seed: number) => Promise<void>;
}

/** The random writes; `rand` drives their arguments. Exported for the peer process. */
export function writeOps(rand: () => number, nextTime: () => number): Op[] {
  const chat = () => CHATS[Math.floor(rand() * CHATS.length)]!;
  // Few distinct times: equal sort keys are common, and the primary key breaks their ties.
  const time = () => 1 + Math.floor(rand() * 6);
  const text = () => TEXTS[Math.floor(rand() * TEXTS.length)]!;
  const interest = () => (rand() < 0.4 ? null : Math.floor(rand() * 3));
  const newMessage = (c = chat()) => message(c, time(), { message_id: `m${nextTime()}`, processed_plain_text: text(), interest_value: interest(), is_mentioned: rand() < 0.4 });
  const someId = async (db: Database) => {
    const ids = (await db.get(Messages, { filters: {}, orderBy: 'id', cache: false })).map((m) => m.id as number);
    return ids.length === 0 ? -1 : ids[Math.floor(rand() * ids.length)]!;
  };
  return [
    (db) => db.create(Messages, newMessage()),
    (db) => db.create(Messages, newMessage()),
    (db) => db.createMany(Messages, [newMessage(), newMessage(), newMessage()]),
    async (db) => db.delete(Messages, { id: await someId(db) }), // often inside a full window
    async (db) => db.update(Messages, { id: await someId(db) }, { time: time() }),
    async (db) => db.update(Messages, { id: await someId(db) }, { chat_id: chat() }), // moves between chats
    async (db) => db.update(Messages, { id: await someId(db) }, { processed_plain_text: text(), interest_value: interest() }),
    (db) => db.update(Messages, { chat_id: chat(), time: { $gte: 5 } }, { is_mentioned: rand() < 0.5 }),
    (db) => db.delete(Messages, { chat_id: chat(), time: { $lte: 1 } }),
    (db) => db.update(ChatStreams, { stream_id: chat() }, { message_count: { $inc: 1 } }),
    (db) => db.update(ChatStreams, { stream_id: chat() }, { message_count: Math.floor(rand() * 5) }),
    (db) =>
      db.transaction(async (tx) => {
        const c = chat();
        await tx.create(Messages, newMessage(c));
        await tx.update(ChatStreams, { stream_id: c }, { message_count: { $inc: 1 } });
        await tx.delete(Messages, { chat_id: c, time: 2 });
      }),
    (db) =>
      db
        .transaction(async (tx) => {
          await tx.create(Messages, newMessage());
          await tx.update(ChatStreams, { stream_id: chat() }, { message_count: 50 });
          throw new Error('rolled back');
        })
        .catch(() => undefined),
    (db) =>
      db.session(async (em) => {
        em.persist(em.create(Messages, newMessage() as never));
        const s = await em.findOne(ChatStreams, { stream_id: chat() });
        if (s) s.message_count = Math.floor(rand() * 5);
      }),
  ];
}

/** Runs `steps` random writes; after each, every cached shape must equal the database's answer. */
export async function runMaintained(db: Database, options: MaintainedOptions): Promise<{ checks: number; writes: number }> {
  const rand = prng(options.seed);
  let t = 0;
  const nextTime = () => ++t;
  const ops = writeOps(rand, nextTime);
  for (const c of CHATS) await db.create(ChatStreams, stream(c));
  for (let i = 0; i < 12; i++) await ops[0]!(db);
  const all = shapes();
  let checks = 0;
  let writes = 0;
  for (let step = 0; step < options.steps; step++) {
    // Cache every shape, so the writes find entries to maintain.
    await Promise.all(all.map(([, s]) => read(db, s, true)));
    if (options.peerRead) await options.peerRead(all.map(([, s]) => s));
    // One write, or several at once with reads racing them.
    const n = rand() < 0.3 ? 3 : 1;
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const op = Math.floor(rand() * ops.length);
      if (options.peerWrite && rand() < 0.3) batch.push(options.peerWrite(op, Math.floor(rand() * 2 ** 31)));
      else batch.push(ops[op]!(db));
      writes++;
      if (rand() < 0.5) batch.push(...all.map(([, s]) => read(db, s, true)));
    }
    await Promise.all(batch);
    const fresh = await Promise.all(all.map(([, s]) => read(db, s, false)));
    const cached = await Promise.all(all.map(([, s]) => read(db, s, true)));
    const peer = options.peerRead ? await options.peerRead(all.map(([, s]) => s)) : undefined;
    for (let i = 0; i < all.length; i++) {
      expect(cached[i], `step ${step} (seed ${options.seed}): ${all[i]![0]}`).to.deep.equal(fresh[i]);
      if (peer) expect(peer[i], `step ${step} (seed ${options.seed}), other process: ${all[i]![0]}`).to.deep.equal(fresh[i]);
      checks++;
    }
  }
  return { checks, writes };
}
