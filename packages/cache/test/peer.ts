/**
 * A second bot process for the Redis tests: opens the database with the cache and the Redis
 * invalidation bus, then answers read requests from its parent over IPC.
 */
import { createDatabase, ChatStreams } from '@botdb/core';
import { CachePlugin } from '@botdb/cache';

const [url, redisUrl, channel] = process.argv.slice(2);
const db = await createDatabase({ url: url!, plugins: [new CachePlugin({ redisUrl, channel })] });
process.on('message', async (msg: { id: number; streamId: string }) => {
  const row = await db.get(ChatStreams, { filters: { stream_id: msg.streamId }, single: true });
  process.send!({ id: msg.id, row, stats: CachePlugin.getStats(db) });
});
process.on('disconnect', () => void db.close().then(() => process.exit(0)));
process.send!({ ready: true });
