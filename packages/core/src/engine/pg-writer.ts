/**
 * The fast write path on PostgreSQL: data API transactions (and so the batch plugin's flushes)
 * on a small pool of botdb's own, with BEGIN/COMMIT sent directly and short statements named
 * (parsed and planned once per connection, bounded as the reader's are) instead of going
 * through knex. Long statements (multi-row INSERTs, whose text changes with the row count) stay
 * unnamed.
 *
 * A COMMIT whose reply never arrives (the connection dropped after it was sent) may or may not
 * have committed. Every transaction learns its id with its BEGIN (same round trip), so after
 * such a loss the writer asks the server, on a new connection, what became of that id: a
 * committed transaction is reported as committed, an aborted one fails with the original
 * (transient, safe to retry) error, and an outcome that cannot be learned fails with
 * `BOTDB_ERR_COMMIT_UNKNOWN`, which nothing retries.
 */
import type { Client, ClientConfig, Pool, PoolClient, QueryResult } from 'pg';
import { BotDbError } from '../errors.js';
import { pgPool, PgStatements } from './pg-reader.js';

/**
 * Pauses (ms) before each attempt to learn a lost COMMIT's outcome: about 5 s in all, long
 * enough for a restarting server to accept connections again.
 */
const DECIDE_WAITS = [0, 50, 100, 200, 400, 800, 1500, 2000] as const;

type Outcome = 'committed' | 'aborted' | 'in progress' | undefined;

export class PgWriter {
  private readonly statements = new PgStatements();
  errors = 0;

  private constructor(
    private readonly pool: Pool,
    private readonly newClient: () => Client,
  ) {}

  static async open(url: string, size: number, statementTimeoutMs: number): Promise<PgWriter> {
    const pool = await pgPool(url, size, statementTimeoutMs, 'botdb-writer');
    const pg = (await import('pg')).default;
    // A fresh connection for deciding a lost commit: the pool may be full, or hold connections
    // that died with the one that lost the reply.
    const config: ClientConfig = { ...pool.options, connectionTimeoutMillis: 2000, query_timeout: 2000, application_name: 'botdb-writer-check' };
    const writer = new PgWriter(pool, () => new pg.Client(config));
    pool.on('error', () => writer.errors++);
    return writer;
  }

  /** Checks out a connection and begins a transaction on it. */
  async begin(): Promise<PgTransaction> {
    const client = await this.pool.connect();
    const tx = new PgTransaction(client, this.statements, (xid, lost) => this.decide(xid, lost, client));
    try {
      // One round trip: the simple protocol runs both statements. The id lets a lost COMMIT be
      // decided; it makes a transaction that only reads take an id (and write a commit record).
      const results = (await client.query('BEGIN; SELECT txid_current() AS xid')) as unknown as QueryResult<{ xid: string }>[];
      tx.xid = String(results[1]!.rows[0]!.xid);
    } catch (e) {
      await tx.rollback();
      throw e;
    }
    return tx;
  }

  /**
   * What became of transaction `xid`, whose COMMIT reply `client` lost: resolves if it
   * committed, throws `lost` if it aborted, `BOTDB_ERR_COMMIT_UNKNOWN` if that cannot be learned.
   */
  private async decide(xid: string, lost: unknown, client: PoolClient): Promise<void> {
    const pid = (client as unknown as { processID?: number }).processID;
    for (const wait of DECIDE_WAITS) {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const outcome = await this.status(xid, pid).catch(() => undefined);
      if (outcome === 'committed') return;
      if (outcome === 'aborted') throw lost;
    }
    throw BotDbError.commitUnknown(lost);
  }

  /**
   * The transaction's status, asked on a new connection. One still in progress belongs to a
   * backend that has not noticed its client is gone (it may never, behind a dead network path):
   * it is ended, which settles the transaction one way or the other (a commit under way
   * completes first).
   */
  private async status(xid: string, pid: number | undefined): Promise<Outcome> {
    const check = this.newClient();
    check.on('error', () => undefined);
    try {
      await check.connect();
      const res = await check.query<{ s: Outcome }>('SELECT txid_status($1) AS s', [xid]);
      const outcome = res.rows[0]?.s ?? undefined;
      if (outcome === 'in progress' && pid !== undefined) {
        // Only that backend, and only while it still runs this transaction (pids are reused).
        await check.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_xid::text = ($2::bigint % 4294967296)::text', [pid, xid]);
      }
      return outcome;
    } finally {
      await check.end().catch(() => undefined);
    }
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

  /** The transaction's id (`txid_current()`), learned with BEGIN. */
  xid: string | undefined;

  constructor(
    private readonly client: PoolClient,
    private readonly statements: PgStatements,
    private readonly decide: (xid: string, lost: unknown) => Promise<void>,
  ) {
    client.on('error', this.onError);
  }

  all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    return this.statements.query(this.client, sql, params);
  }

  /**
   * Commits. If the reply is lost, resolves only once the server confirms the commit; rejects
   * with the error if it aborted, with `BOTDB_ERR_COMMIT_UNKNOWN` if that cannot be learned.
   */
  async commit(): Promise<void> {
    try {
      await this.client.query('COMMIT');
    } catch (e) {
      // An ERROR reply (a deferred constraint, a serialization failure): the server rolled back
      // and the connection is fine. Anything else (no reply, a FATAL) leaves the outcome open.
      if ((e as { severity?: unknown }).severity === 'ERROR' && this.broken === undefined) {
        this.release();
        throw e;
      }
      this.release(e);
      if (this.xid === undefined) throw e;
      await this.decide(this.xid, e);
      return;
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
