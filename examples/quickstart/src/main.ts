/**
 * botdb quickstart: open a database, record a chat the way a bot does, read it back.
 *
 *   pnpm start                      # embedded SQLite at examples/quickstart/data/bot.db
 *   BOTDB_URL=postgres://... pnpm start
 */
import { ChatStreams, Messages, PersonInfo, chatStreamId, createDatabase, personId } from '@botdb/core';

const db = await createDatabase({ url: process.env.BOTDB_URL ?? 'sqlite:data/bot.db' });
const started = performance.now();

const platform = 'qq';
const group = { groupId: '20251001', name: 'botdb demo group' };
const people = [
  { userId: '10001', nickname: 'Alice' },
  { userId: '10002', nickname: 'Bob' },
];
const streamId = chatStreamId({ platform, groupId: group.groupId });
const now = Date.now() / 1000;

// The chat stream: insert it the first time, refresh it afterwards (db.save = update-or-insert).
const stream = await db.save(
  ChatStreams,
  {
    stream_id: streamId, create_time: now, last_active_time: now, platform,
    group_platform: platform, group_id: group.groupId, group_name: group.name,
    user_platform: platform, user_id: people[0]!.userId, user_nickname: people[0]!.nickname,
  },
  { keyField: 'stream_id', keyValue: streamId },
);
console.log(`chat stream  ${stream.group_name} (id ${stream.id}, stream_id ${stream.stream_id.slice(0, 12)}…)`);

for (const p of people) {
  const id = personId(platform, p.userId);
  await db.save(PersonInfo, { person_id: id, platform, user_id: p.userId, nickname: p.nickname }, { keyField: 'person_id', keyValue: id });
}
console.log(`people       ${people.map((p) => p.nickname).join(', ')}`);

// A few messages, as a bot stores every message it sees.
const lines = ['hello botdb', 'is this thing fast?', 'thousands of turns per second, they say'];
for (const [i, text] of lines.entries()) {
  const who = people[i % people.length]!;
  await db.create(Messages, {
    message_id: `demo-${Date.now()}-${i}`, time: now + i, chat_id: streamId,
    chat_info_stream_id: streamId, chat_info_platform: platform,
    chat_info_user_platform: platform, chat_info_user_id: who.userId, chat_info_user_nickname: who.nickname,
    chat_info_group_platform: platform, chat_info_group_id: group.groupId, chat_info_group_name: group.name,
    chat_info_create_time: stream.create_time, chat_info_last_active_time: now,
    user_platform: platform, user_id: who.userId, user_nickname: who.nickname, processed_plain_text: text,
  });
}
const total = await db.count(Messages, { chat_id: streamId });
await db.update(ChatStreams, { stream_id: streamId }, { last_active_time: now + lines.length, message_count: total });
console.log(`messages     wrote ${lines.length}, the chat now has ${total}`);

// What the bot reads on every turn: the chat's most recent messages.
const recent = await db.get(Messages, { filters: { chat_id: streamId }, orderBy: '-time', limit: 5 });
console.log('recent       (newest first)');
for (const m of recent) console.log(`  ${m.user_nickname?.padEnd(6)} ${m.processed_plain_text}`);

// A unit of work with MikroORM's EntityManager: commits on return, rolls back on throw.
await db.session(async (em) => {
  const s = await em.findOneOrFail(ChatStreams, { stream_id: streamId });
  s.reply_count = (s.reply_count ?? 0) + 1;
});
const after = await db.get(ChatStreams, { filters: { stream_id: streamId }, single: true });
console.log(`session      reply_count is now ${after?.reply_count}`);

await db.close();
console.log(`done in ${(performance.now() - started).toFixed(1)} ms on ${db.config.dialect} (${db.config.url})`);
