/**
 * Puts the world into a database before traffic starts: chat streams, people, emoji, and each
 * chat's history. Uses the data API's bulk insert, like a bot importing its state.
 */
import { ChatStreams, Emoji, Messages, PersonInfo, type Database } from '@botdb/core';
import { Random } from './random.js';
import { chatStreamRow, emojiRow, messageRow, personRow } from './rows.js';
import type { World } from './world.js';

const CHUNK = 500;

/** How many rows seeding wrote, per table. */
export interface SeedCounts {
  readonly chat_streams: number;
  readonly person_info: number;
  readonly emoji: number;
  readonly messages: number;
}

async function insertChunked(db: Database, entity: Parameters<Database['createMany']>[0], rows: readonly object[]): Promise<void> {
  // `priority: 'high'` asks a batching plugin to write at once rather than wait for a fuller batch.
  for (let i = 0; i < rows.length; i += CHUNK) await db.createMany(entity, rows.slice(i, i + CHUNK), { priority: 'high' });
}

/** Writes the world's rows into `db`. */
export async function seedWorld(db: Database, world: World): Promise<SeedCounts> {
  const now = world.epoch;
  const random = new Random(world.options.seed ^ 0x2545f491);
  await insertChunked(db, ChatStreams, world.chats.map((c) => chatStreamRow(c, now)));
  await insertChunked(db, PersonInfo, world.people.map((p) => personRow(p, now)));
  await insertChunked(db, Emoji, world.emojis.map((e) => emojiRow(e, now)));
  const history: object[] = [];
  const n = world.options.historyPerChat;
  for (const chat of world.chats) {
    for (let k = 0; k < n; k++) {
      const sender = chat.members[random.int(chat.members.length)]!;
      // History spreads over the hour before the run, oldest first.
      const time = now - 3600 + (3600 * k) / Math.max(1, n) + random.next();
      history.push(messageRow(chat, sender, `hist-${world.options.tag}-${chat.index}-${k}`, `earlier message ${k}`, time, { create_time: chat.createTime, last_active_time: time }));
    }
    if (history.length >= CHUNK * 4) await insertChunked(db, Messages, history.splice(0));
  }
  await insertChunked(db, Messages, history);
  return { chat_streams: world.chats.length, person_info: world.people.length, emoji: world.emojis.length, messages: world.chats.length * n };
}
