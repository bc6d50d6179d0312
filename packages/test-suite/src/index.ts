/**
 * The conformance suite every botdb plugin combination must pass (keyv's `@keyv/test-suite`):
 * the data API must answer the same with a plugin as without it.
 *
 * @example
 * import { runConformanceSuite } from '@botdb/test-suite';
 * runConformanceSuite('sqlite + cache', () => createDatabase({ url: 'sqlite::memory:', plugins: [new CachePlugin()] }));
 */
import { after, before, describe } from 'mocha';
import type { Database } from '@botdb/core';
import { createContext } from './context.js';
import { errorTests } from './errors.js';
import { readTests } from './reads.js';
import { sessionTests } from './sessions.js';
import { valueTests } from './values.js';
import { writeTests } from './writes.js';

/**
 * Registers a mocha `describe` block that runs the conformance tests against the database
 * `factory` returns. The factory runs once, in the block's `before` hook; the database is
 * closed in its `after` hook. Every test uses its own ids, so the database may hold other data.
 */
export function runConformanceSuite(name: string, factory: () => Promise<Database>): void {
  describe(`botdb conformance: ${name}`, function () {
    const ctx = createContext();

    before(async function () {
      ctx.db = await factory();
    });

    after(async function () {
      // If the factory failed there is nothing to close; `before` already reported why.
      if (ctx.ready) await ctx.db.close();
    });

    readTests(ctx);
    writeTests(ctx);
    valueTests(ctx);
    sessionTests(ctx);
    errorTests(ctx);
  });
}

export { expectCode } from './context.js';
export { startPgProxy } from './proxy.js';
export type { SuiteContext } from './context.js';
export type { PgProxy, CommitFault } from './proxy.js';
export { TestDatabases, dropSchemas, recordStatements, prng, stallProbe, skipUnless, localPgCluster, PG_URL, REDIS_URL } from './helpers.js';
