/**
 * The other process of the two-process maintained-answers test: the cache with the Redis bus
 * on the same database; answers read requests (through its cache) and runs writes on request.
 */
import { createDatabase } from '@botdb/core';
import { CachePlugin } from '@botdb/cache';
import { prng } from './support.js';
import { read, writeOps, type Shape } from './maintained.js';

const [url, redisUrl, channel, schema] = process.argv.slice(2);
const db = await createDatabase({ url: url!, plugins: [new CachePlugin({ redisUrl, channel })], ...(schema ? { postgresql: { schema } } : {}) });
type Request = { id: number; read: readonly Shape[] } | { id: number; op: number; seed: number };
process.on('message', async (msg: Request) => {
  try {
    if ('read' in msg) {
      process.send!({ id: msg.id, values: await Promise.all(msg.read.map((s) => read(db, s, true))) });
    } else {
      let n = 0;
      await writeOps(prng(msg.seed), () => msg.seed * 1000 + ++n)[msg.op]!(db);
      process.send!({ id: msg.id });
    }
  } catch (e) {
    process.send!({ id: msg.id, error: String(e) });
  }
});
process.on('disconnect', () => void db.close().then(() => process.exit(0)));
process.send!({ ready: true });
