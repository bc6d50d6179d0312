/**
 * The fast write path on SQLite with better-sqlite3: a dedicated connection with cached
 * prepared statements, used for data API transactions. It never waits for a lock
 * (busy_timeout 0): `begin()` reports a busy database and the caller takes the ordinary path,
 * so a synchronous wait can never stall the event loop that the lock holder needs.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { StatementCache } from './statement-cache.js';

export class SqliteWriter {
  private readonly statements = new StatementCache<BetterSqlite3.Statement>();

  private constructor(private readonly conn: BetterSqlite3.Database) {}

  /** Opens a writer on `file`, or returns undefined where no second connection can share it. */
  static async open(file: string, pragmas: readonly string[]): Promise<SqliteWriter | undefined> {
    if (file === ':memory:' || file === '') return undefined;
    const { default: Database } = await import('better-sqlite3');
    const conn = new Database(file, { fileMustExist: true, timeout: 0 });
    for (const p of pragmas) conn.exec(p);
    conn.exec('PRAGMA busy_timeout = 0');
    return new SqliteWriter(conn);
  }

  /** Starts a write transaction; false (and no transaction) if another connection holds the lock. */
  begin(): boolean {
    try {
      this.conn.exec('BEGIN IMMEDIATE');
      return true;
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
      throw e;
    }
  }

  commit(): void {
    this.conn.exec('COMMIT');
  }

  rollback(): void {
    if (this.conn.inTransaction) this.conn.exec('ROLLBACK');
  }

  /** Runs one statement; rows for statements that return rows (all of botdb's writes do). */
  all(sql: string, params: readonly unknown[]): Record<string, unknown>[] {
    const st = this.statements.get(sql, (text) => this.conn.prepare(text));
    if (st.reader) return st.all(...params) as Record<string, unknown>[];
    st.run(...params);
    return [];
  }

  /** Runs one INSERT without RETURNING; the rowid of the inserted row. */
  insert(sql: string, params: readonly unknown[]): number {
    const st = this.statements.get(sql, (text) => this.conn.prepare(text));
    return Number(st.run(...params).lastInsertRowid);
  }

  close(): void {
    this.statements.clear();
    if (this.conn.open) this.conn.close();
  }
}

/** A first-come, first-served async lock. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves to a release function once every earlier holder released. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const before = this.tail;
    this.tail = before.then(() => held);
    return before.then(() => release);
  }
}
