/**
 * The fast write path on SQLite with better-sqlite3: a dedicated connection with cached
 * prepared statements, used for data API transactions. It never waits for a lock inside the
 * driver (busy_timeout 0): when another process holds the lock, `begin()` and `commit()` retry
 * on a timer (see busy.ts), so the wait never stalls the event loop.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { BotDbError } from '../errors.js';
import { isBusy, retryWhileBusy } from './busy.js';
import { StatementCache } from './statement-cache.js';

export class SqliteWriter {
  private readonly statements = new StatementCache<BetterSqlite3.Statement>();
  private readonly rawStatements = new StatementCache<BetterSqlite3.Statement>();

  private constructor(
    private readonly conn: BetterSqlite3.Database,
    private readonly busyTimeoutMs: number,
  ) {}

  /**
   * Opens a writer on `file`, or returns undefined where no second connection can share it.
   * `busyTimeoutMs` is how long `begin()` and `commit()` wait for another process's lock.
   */
  static async open(file: string, pragmas: readonly string[], busyTimeoutMs: number): Promise<SqliteWriter | undefined> {
    if (file === ':memory:' || file === '') return undefined;
    const { default: Database } = await import('better-sqlite3');
    const conn = new Database(file, { fileMustExist: true, timeout: 0 });
    for (const p of pragmas) conn.exec(p);
    conn.exec('PRAGMA busy_timeout = 0');
    return new SqliteWriter(conn, busyTimeoutMs);
  }

  /**
   * Starts a write transaction. Returns nothing when it began at once (the common case costs no
   * promise), else a promise that settles once it began, or rejects after the busy timeout.
   */
  begin(): void | Promise<void> {
    return this.exec('BEGIN IMMEDIATE');
  }

  /**
   * Commits; like `begin()`, a promise only when it has to wait. In rollback-journal mode COMMIT
   * needs every other process's readers gone; a busy COMMIT leaves the transaction open, so it
   * can be tried again.
   */
  commit(): void | Promise<void> {
    return this.exec('COMMIT');
  }

  /** Waits until another process's lock is released (begins and rolls back); a promise only when it has to wait. */
  whenFree(): void | Promise<void> {
    const beginning = this.begin();
    if (!beginning) return this.rollback();
    return beginning.then(() => this.rollback());
  }

  private exec(sql: string): void | Promise<void> {
    try {
      this.conn.exec(sql);
      return;
    } catch (e) {
      // A COMMIT can fail for good too (disk full): coded, like every statement's failure.
      if (!isBusy(e)) throw BotDbError.fromDriver(sql, e);
    }
    return retryWhileBusy(() => this.conn.exec(sql), this.busyTimeoutMs).then(
      () => undefined,
      (e: unknown) => {
        throw BotDbError.fromDriver(sql, e);
      },
    );
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

  /**
   * Runs one statement that returns rows of an entity's columns (a SELECT, an UPDATE ...
   * RETURNING), each row as its array of values, as the reader does (see row-builder.ts).
   */
  values(sql: string, params: readonly unknown[]): unknown[][] {
    return this.rawStatements.get(sql, (text) => this.conn.prepare(text).raw(true)).all(...params) as unknown[][];
  }

  /** Runs one INSERT without RETURNING; the rowid of the inserted row. */
  insert(sql: string, params: readonly unknown[]): number {
    const st = this.statements.get(sql, (text) => this.conn.prepare(text));
    return Number(st.run(...params).lastInsertRowid);
  }

  close(): void {
    this.statements.clear();
    this.rawStatements.clear();
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
