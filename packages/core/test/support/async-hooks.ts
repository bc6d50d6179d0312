/**
 * Child process for the async-hooks test: reports whether Node tracks promise execution (it
 * does only while some AsyncLocalStorage or async hook is on) at each step. Prints one JSON line.
 */
import { executionAsyncId } from 'node:async_hooks';
import { ChatStreams, createDatabase } from '../../src/index.js';

/** With promise hooks off, a promise callback runs with the id of whatever resumed it, not an id of its own. */
async function tracked(): Promise<boolean> {
  const outer = executionAsyncId();
  const inner = await Promise.resolve().then(() => executionAsyncId());
  return inner !== outer;
}

const file = process.argv[2]!;
const start = await tracked();
const db = await createDatabase({ url: `sqlite:${file}` });
const stream = { stream_id: 's', create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' };
await db.create(ChatStreams, stream);
await db.update(ChatStreams, { stream_id: 's' }, { message_count: { $inc: 1 } });
await db.save(ChatStreams, { message_count: 5 }, { keyField: 'stream_id', keyValue: 's' });
await db.get(ChatStreams, { filters: { stream_id: 's' } });
await db.transaction(async (tx) => void (await tx.create(ChatStreams, { ...stream, stream_id: 't' })), { ambient: false });
await db.delete(ChatStreams, { stream_id: 't' });
const afterDataApi = await tracked();
const insideAmbient = await db.transaction(async () => tracked());
await new Promise((r) => setTimeout(r, 1300));
const idleAfterAmbient = await tracked();
await db.close();
console.log(JSON.stringify({ start, afterDataApi, insideAmbient, idleAfterAmbient }));
