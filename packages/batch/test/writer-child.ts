/**
 * A bot process for the crash tests: writes messages continuously through the batch plugin,
 * printing `I <n>` before issuing write n and `A <n>` once its promise resolved. On SIGTERM it
 * stops issuing, drains (db.close), and exits, as the examples do.
 */
import { createDatabase, Messages } from '@botdb/core';
import { BatchPlugin } from '@botdb/batch';

const url = process.argv[2]!;
const schema = process.argv[3];
const db = await createDatabase({ url, ...(schema ? { postgresql: { schema } } : {}), plugins: [new BatchPlugin()] });
let stopping = false;
const out = (line: string) => process.stdout.write(`${line}\n`);

process.on('SIGTERM', () => {
  stopping = true;
  void db.close().then(() => {
    out('CLOSED');
    process.exit(0);
  });
});

out('READY');
let n = 0;
const writers = Array.from({ length: 32 }, async () => {
  while (!stopping) {
    const id = ++n;
    out(`I ${id}`);
    await db.create(Messages, {
      message_id: `crash-${id}`, time: id, chat_id: 'crash', chat_info_stream_id: 'crash', chat_info_platform: 'qq',
      chat_info_user_platform: 'qq', chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1, chat_info_last_active_time: 1,
    });
    out(`A ${id}`);
  }
});
await Promise.all(writers);
