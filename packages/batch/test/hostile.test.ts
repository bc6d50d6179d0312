import { describe } from 'mocha';
import { createDatabase } from '@botdb/core';
import { CachePlugin } from '@botdb/cache';
import { BatchPlugin } from '@botdb/batch';
// The hostile-input property of core's tests, run here with the plugins on.
import { hostileCallTests } from '../../core/test/support/hostile-property.js';
import { dropSchemas } from '@botdb/test-suite';
import { PG_URL } from './support.js';

describe('hostile input with the cache and batch plugins', function () {
  hostileCallTests('SQLite + cache + batch', async () => [await createDatabase({ url: 'sqlite::memory:', plugins: [new CachePlugin(), new BatchPlugin()] })]);
  if (PG_URL !== undefined) {
    hostileCallTests(
      'SQLite and PostgreSQL, both with cache + batch',
      async () => [
        await createDatabase({ url: 'sqlite::memory:', plugins: [new CachePlugin(), new BatchPlugin()] }),
        await createDatabase({ url: PG_URL, postgresql: { schema: 'botdb_t_hostile_plugins' }, plugins: [new CachePlugin(), new BatchPlugin()] }),
      ],
      async (dbs) => {
        for (const db of dbs) await db.close();
        await dropSchemas(PG_URL!, ['botdb_t_hostile_plugins']);
      },
    );
  }
});
