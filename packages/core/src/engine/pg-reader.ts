/**
 * The fast read path on PostgreSQL: a small pool of its own with named (server-side prepared)
 * statements, so that a point read is parsed and planned once per connection instead of on
 * every call. Types parse as MikroORM's connections parse them (timestamps and int8 as text),
 * and botdb decodes them.
 */
import { createHash } from 'node:crypto';
import type { Pool, QueryResultRow } from 'pg';
import { StatementCache } from './statement-cache.js';

/** SQL with `?` placeholders as PostgreSQL's `$1, $2, ...` (botdb's SQL has no `?` elsewhere). */
export function dollarParams(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A server-side statement name for `sql`, the same on every connection. */
export function statementName(sql: string): string {
  return `botdb_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
}

/**
 * A pool of botdb's own: types parse as MikroORM's connections parse them (timestamps and int8 as
 * text); `name` is its connections' application_name (`pg_stat_activity` tells them apart).
 */
export async function pgPool(url: string, size: number, statementTimeoutMs: number, name: string): Promise<Pool> {
  const pg = (await import('pg')).default;
  const types = new pg.TypeOverrides();
  for (const oid of [20, 1082, 1114, 1184, 1186]) types.setTypeParser(oid, (text: string) => text);
  // statement_timeout as a connection parameter: a `SET` on connect would race the first query.
  return new pg.Pool({ connectionString: url, max: size, types, application_name: name, ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}) });
}

export class PgReader {
  private readonly names = new StatementCache<{ name: string; text: string }>();
  errors = 0;

  private constructor(private readonly pool: Pool) {}

  static async open(url: string, size: number, statementTimeoutMs: number): Promise<PgReader> {
    const pool = await pgPool(url, size, statementTimeoutMs, 'botdb-reader');
    const reader = new PgReader(pool);
    // An idle connection the server dropped (a restart) must not crash the process; the pool
    // discards it and the next read opens another.
    pool.on('error', () => reader.errors++);
    return reader;
  }

  async all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    const named = this.names.get(sql, (text) => ({ name: statementName(text), text: dollarParams(text) }));
    const res = await this.pool.query<QueryResultRow>({ name: named.name, text: named.text, values: params as unknown[] });
    return res.rows;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
