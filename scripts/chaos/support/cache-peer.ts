/**
 * The second bot process of the Redis scenario: the same database and cache set-up as its
 * parent; reads or writes a stream's message_count when the parent asks over IPC.
 */
import { ChatStreams, createDatabase } from '../deps.js';
import { codeOf } from '../scenario.js';
import { cachePlugin } from './cache-config.js';
import type { PeerReply, PeerRequest } from './cache-protocol.js';

const [url, redisUrl, channel, namespace] = process.argv.slice(2) as [string, string, string, string];
const db = await createDatabase({ url, plugins: [await cachePlugin(redisUrl, channel, namespace)] });
const reply = (m: PeerReply) => process.send!(m);

process.on('message', async (m: PeerRequest) => {
  const start = performance.now();
  try {
    if (m.op === 'get') {
      const row = await db.get(ChatStreams, { filters: { stream_id: m.streamId }, single: true });
      reply({ id: m.id, value: row?.message_count as number | undefined, ms: performance.now() - start });
    } else {
      await db.update(ChatStreams, { stream_id: m.streamId }, { message_count: m.value });
      reply({ id: m.id, value: m.value, ms: performance.now() - start });
    }
  } catch (e) {
    reply({ id: m.id, error: codeOf(e), ms: performance.now() - start });
  }
});
process.on('disconnect', () => void db.close().then(() => process.exit(0)));
reply({ id: 0, ms: 0 });
