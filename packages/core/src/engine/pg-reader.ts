/**
 * The fast read path on PostgreSQL: a small pool of its own with named (server-side prepared)
 * statements, so that a point read is parsed and planned once per connection instead of on
 * every call (at most `NAMED_PER_CONNECTION` of them per connection). Types parse as
 * MikroORM's connections parse them (timestamps and int8 as text), and botdb decodes them.
 */
import { createHash } from 'node:crypto';
import type { ClientBase, Pool, QueryResultRow } from 'pg';
import { StatementCache } from './statement-cache.js';

/**
 * Statements up to this many characters are named (prepared once per connection); longer ones
 * (multi-row INSERTs, long `$in` lists, whose text changes with the list length) run unnamed:
 * parsed per call, kept by the server for nothing.
 */
const NAMED_MAX_CHARS = 2048;
/**
 * Most named statements one connection keeps prepared. PostgreSQL keeps each one's parse tree
 * and plans in the backend's memory for the connection's life: 3,000 `$in` lengths, all
 * named, took a backend from 3 MB to 810 MB.
 */
export const NAMED_PER_CONNECTION = 256;

/** A statement as sent: its server-side name (none: unnamed) and its `$n` text. */
interface PgStatement {
  readonly name: string | undefined;
  readonly text: string;
}

/** node-postgres' record of the statements a connection has prepared (name -> text), if it has one. */
function parsedStatements(client: ClientBase): Record<string, string> | undefined {
  const parsed = (client as unknown as { connection?: { parsedStatements?: unknown } }).connection?.parsedStatements;
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : undefined;
}

/**
 * Runs statements named where that pays, with at most `NAMED_PER_CONNECTION` prepared on each
 * connection: when a new one would exceed that, the least recently used is deallocated on the
 * server (DEALLOCATE) and forgotten by node-postgres, which prepares it again if it comes back.
 */
export class PgStatements {
  private readonly statements = new StatementCache<PgStatement>();
  /** Per connection, its named statements in order of last use (oldest first). */
  private readonly used = new WeakMap<ClientBase, Map<string, true>>();

  constructor(private readonly perConnection = NAMED_PER_CONNECTION) {}

  async query(client: ClientBase, sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    const st = this.statements.get(sql, (text) => ({ name: text.length <= NAMED_MAX_CHARS ? statementName(text) : undefined, text: dollarParams(text) }));
    // The common case, a statement this connection has prepared, costs no extra await.
    const name = st.name === undefined || this.touch(client, st.name) || (await this.admit(client, st.name)) ? st.name : undefined;
    const res = await client.query<QueryResultRow>({ name, text: st.text, values: params as unknown[] });
    return res.rows;
  }

  /** Marks `name` as just used on `client`; false if the connection does not have it yet. */
  private touch(client: ClientBase, name: string): boolean {
    const lru = this.used.get(client);
    if (lru === undefined || !lru.delete(name)) return false;
    lru.set(name, true);
    return true;
  }

  /** Makes room for `name` on `client`; false if it has to run unnamed (no record to keep it bounded by). */
  private async admit(client: ClientBase, name: string): Promise<boolean> {
    const parsed = parsedStatements(client);
    if (parsed === undefined) return false;
    let lru = this.used.get(client);
    if (lru === undefined) {
      lru = new Map();
      this.used.set(client, lru);
    }
    // A name whose Parse failed was never prepared: nothing to deallocate.
    for (const old of lru.keys()) if (!(old in parsed)) lru.delete(old);
    while (lru.size >= this.perConnection) {
      const oldest = lru.keys().next().value as string;
      lru.delete(oldest);
      await client.query(`DEALLOCATE ${oldest}`);
      delete parsed[oldest];
    }
    lru.set(name, true);
    return true;
  }
}

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
  private readonly statements = new PgStatements();
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
    const client = await this.pool.connect();
    let rows: Record<string, unknown>[];
    try {
      rows = await this.statements.query(client, sql, params);
    } catch (e) {
      // A connection that failed is discarded, as pool.query would.
      client.release(e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
    client.release();
    return rows;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
