import { createDatabase, ChatStreams, Messages } from '@botdb/core';
import { CachePlugin } from '@botdb/cache';
import { rmSync } from 'node:fs';
for (const x of ['', '-wal', '-shm']) rmSync('/tmp/zzmiss.db' + x, { force: true });
const plain = await createDatabase({ url: 'sqlite:/tmp/zzmiss.db' });
const rows = Array.from({ length: 1000 }, (_, i) => ({ stream_id: `s${i}`, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: `u${i}`, user_nickname: 'n' }));
await plain.createMany(ChatStreams, rows);
const cache = new CachePlugin({ bloom: false });
const cached = await createDatabase({ url: 'sqlite:/tmp/zzmiss.db', plugins: [cache] });
await cached.count(Messages, {});
const N = 20000;
const plain2 = await createDatabase({ url: 'sqlite:/tmp/zzmiss.db' });
const t = { plain: 0, plain2: 0, miss: 0, bypass: 0 };
for (let r = 0; r < 6; r++) {
  t.plain = t.plain2 = t.miss = t.bypass = 0;
  for (let i = 0; i < N; i++) {
    const f = { filters: { stream_id: `s${i % 1000}` }, single: true } as const;
    let s = performance.now();
    await plain.get(ChatStreams, f);
    t.plain += performance.now() - s;
    s = performance.now();
    await plain2.get(ChatStreams, f);
    t.plain2 += performance.now() - s;
    cache.clear('ChatStreams');
    s = performance.now();
    await cached.get(ChatStreams, f);
    t.miss += performance.now() - s;
    s = performance.now();
    await cached.get(ChatStreams, { ...f, cache: false });
    t.bypass += performance.now() - s;
  }
  console.log(Object.entries(t).map(([k, v]) => `${k} ${((v / N) * 1000).toFixed(2)} µs`).join('; '));
}
await plain.close(); await cached.close();
