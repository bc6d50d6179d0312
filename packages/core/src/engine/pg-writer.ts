/**
 * The fast write path on PostgreSQL: data API transactions (and so the batch plugin's flushes)
 * on a small pool of botdb's own, with BEGIN/COMMIT sent directly and short statements named
 * (parsed and planned once per connection) instead of going through knex. Long statements
 * (multi-row INSERTs, whose text changes with the row count) stay unnamed, so the server's
 * per-connection statement cache stays small.
 */
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { dollarParams, pgPool, statementName } from './pg-reader.js';
import { StatementCache } from './statement-cache.js';

/** Statements up to this many characters are named (prepared once per connection). */
const NAMED_MAX_CHARS = 2048;

export class PgWriter {
  private readonly names = new StatementCache<{ name: string | undefined; text: string }>();
  errors = 0;

  private constructor(private readonly pool: Pool) {}

  static async open(url: string, size: number, statementTimeoutMs: number): Promise<PgWriter> {
    const pool = await pgPool(url, size, statementTimeoutMs, 'botdb-writer');
    const writer = new PgWriter(pool);
    pool.on('error', () => writer.errors++);
    return writer;
  }

  /** Checks out a connection and begins a transaction on it. */
  async begin(): Promise<PgTransaction> {
    const client = await this.pool.connect();
    const tx = new PgTransaction(client, this.names);
    try {
      await tx.all('BEGIN', []);
    } catch (e) {
      await tx.rollback();
      throw e;
    }
    return tx;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** One open transaction on one connection. */
export class PgTransaction {
  private released = false;
  /** Set when the connection failed while checked out: it goes back to the pool as broken. */
  private broken: Error | undefined;
  // The pool listens for errors on idle connections only. A checked-out connection the server
  // ends between two statements (a restart) emits 'error', which must not crash the process: the
  // next statement fails (a transient error the caller retries) and the connection is discarded.
  private readonly onError = (e: Error) => {
    this.broken ??= e;
  };

  constructor(
    private readonly client: PoolClient,
    private readonly names: StatementCache<{ name: string | undefined; text: string }>,
  ) {
    client.on('error', this.onError);
  }

  async all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    const st = this.names.get(sql, (text) => ({ name: text.length <= NAMED_MAX_CHARS ? statementName(text) : undefined, text: dollarParams(text) }));
    const res = await this.client.query<QueryResultRow>({ name: st.name, text: st.text, values: params as unknown[] });
    return res.rows;
  }

  async commit(): Promise<void> {
    try {
      await this.client.query('COMMIT');
    } catch (e) {
      this.release(e);
      throw e;
    }
    this.release();
  }

  /** Rolls back; a connection that cannot roll back is discarded, not returned to the pool. */
  async rollback(): Promise<void> {
    if (this.released) return;
    try {
      await this.client.query('ROLLBACK');
      this.release();
    } catch (e) {
      this.release(e);
    }
  }

  private release(error?: unknown): void {
    if (this.released) return;
    this.released = true;
    this.client.removeListener('error', this.onError);
    this.client.release(error instanceof Error ? error : this.broken);
  }
}
