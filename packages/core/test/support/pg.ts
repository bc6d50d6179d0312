import { randomBytes } from 'node:crypto';
import { createDatabase, type BotDbConfig, type Database } from '../../src/index.js';

/** The PostgreSQL URL of the `*.pg.test.ts` files, or undefined when they must skip. */
export const PG_URL: string | undefined = process.env.BOTDB_PG_URL === '' ? undefined : process.env.BOTDB_PG_URL;

/** Skips the calling suite (from a `before` hook) with a one-line notice when PostgreSQL is not configured. */
export function skipWithoutPg(ctx: Mocha.Context, what: string): void {
  if (PG_URL !== undefined) return;
  console.log(`  (skipped ${what}: set BOTDB_PG_URL=postgres://user@host:port/db to run the PostgreSQL tests)`);
  ctx.skip();
}

/**
 * Schemas for PostgreSQL tests: each database gets its own `botdb_test_<random>` schema, and
 * `dropAll()` drops every schema it handed out.
 */
export class PgSchemas {
  private readonly schemas: string[] = [];

  /** Opens a database in a fresh schema (or in `schema`, one this object handed out before). */
  async open(config: BotDbConfig = {}, schema?: string): Promise<Database> {
    if (PG_URL === undefined) throw new Error('BOTDB_PG_URL is not set');
    if (schema === undefined) {
      schema = `botdb_test_${randomBytes(6).toString('hex')}`;
      this.schemas.push(schema);
    }
    return createDatabase({ ...config, url: PG_URL, postgresql: { ...config.postgresql, schema } });
  }

  /** Drops every schema this object created (run in `after`, once the databases are closed). */
  async dropAll(): Promise<void> {
    if (PG_URL === undefined || this.schemas.length === 0) return;
    const admin = await createDatabase({ url: PG_URL, syncSchema: false });
    try {
      for (const schema of this.schemas.splice(0)) await admin.orm.em.getConnection().execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.close();
    }
  }
}
