/**
 * The fast read path on SQLite with better-sqlite3: a dedicated read-only connection with cached
 * prepared statements. In WAL mode it reads the last committed state without waiting for, or
 * seeing, a transaction open on MikroORM's connection, and it runs synchronously, so a point
 * read costs a statement execution and nothing else. It never waits for a lock inside the
 * driver (busy_timeout 0): where readers can be locked out (rollback-journal mode while another
 * process commits, WAL recovery), `all()` throws SQLITE_BUSY and `allWhenFree()` waits on a timer.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { retryWhileBusy } from './busy.js';
import { StatementCache } from './statement-cache.js';

export class SqliteReader {
  private readonly statements = new StatementCache<BetterSqlite3.Statement>();

  private constructor(
    private readonly conn: BetterSqlite3.Database,
    private readonly busyTimeoutMs: number,
  ) {}

  /**
   * Opens a reader on `file`, or returns undefined where there is no separate file to share.
   * `busyTimeoutMs` is how long `allWhenFree()` waits for another process's lock.
   */
  static async open(file: string, busyTimeoutMs: number): Promise<SqliteReader | undefined> {
    if (file === ':memory:' || file === '') return undefined;
    const { default: Database } = await import('better-sqlite3');
    const conn = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
    return new SqliteReader(conn, busyTimeoutMs);
  }

  /**
   * Runs a query now, each row as its array of values in SELECT order (the caller builds rows
   * from them: see row-builder.ts); throws SQLITE_BUSY at once if another process locks readers out.
   */
  all(sql: string, params: readonly unknown[]): unknown[][] {
    return this.statements.get(sql, (text) => this.conn.prepare(text).raw(true)).all(...params) as unknown[][];
  }

  /** `all()` after a busy failure: tries again on a timer until the busy timeout has passed. */
  allWhenFree(sql: string, params: readonly unknown[]): Promise<unknown[][]> {
    return retryWhileBusy(() => this.all(sql, params), this.busyTimeoutMs);
  }

  close(): void {
    this.statements.clear();
    this.conn.close();
  }
}
