import { createDatabase, Messages } from '@botdb/core';
import { BatchPlugin } from '@botdb/batch';
import { mkdtempSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'b-'));
const msg = (i: number) => ({ message_id: `m${i}`, time: i, chat_id: 'c', chat_info_stream_id: 'c', chat_info_platform: 'qq', chat_info_user_platform: 'qq', chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1, chat_info_last_active_time: 1 });
const N = 20000;
for (const mode of (process.argv[2] ?? 'batch,direct').split(',')) {
  const db = await createDatabase({ url: `sqlite:${join(dir, `${mode}.db`)}`, plugins: mode === 'batch' ? [new BatchPlugin()] : [] });
  const t = performance.now(); let i = 0;
  await Promise.all(Array.from({ length: 64 }, async () => { while (i < N) await db.create(Messages, msg(i++)); }));
  console.log(mode, 'rows/s', Math.round(N / ((performance.now() - t) / 1000)), mode === 'batch' ? BatchPlugin.getStats(db)?.avgBatchSize : '');
  await db.close();
}
