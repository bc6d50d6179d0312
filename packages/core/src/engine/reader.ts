/**
 * The fast read path on SQLite with better-sqlite3: a dedicated read-only connection with cached
 * prepared statements. In WAL mode it reads the last committed state without waiting for, or
 * seeing, a transaction open on MikroORM's connection, and it runs synchronously, so a point
 * read costs a statement execution and nothing else.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { StatementCache } from './statement-cache.js';

export class SqliteReader {
  private readonly statements = new StatementCache<BetterSqlite3.Statement>();

  private constructor(private readonly conn: BetterSqlite3.Database) {}

  /** Opens a reader on `file`, or returns undefined where there is no separate file to share. */
  static async open(file: string, busyTimeoutMs: number): Promise<SqliteReader | undefined> {
    if (file === ':memory:' || file === '') return undefined;
    const { default: Database } = await import('better-sqlite3');
    const conn = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    return new SqliteReader(conn);
  }

  all(sql: string, params: readonly unknown[]): Record<string, unknown>[] {
    return this.statements.get(sql, (text) => this.conn.prepare(text)).all(...params) as Record<string, unknown>[];
  }

  close(): void {
    this.statements.clear();
    this.conn.close();
  }
}
