/**
 * The raw-driver baseline: what the fastest hand-written code does with better-sqlite3 (prepared
 * statements, synchronous) or `pg` (named prepared statements on a pool). No mapping, no
 * validation, no hooks: the floor botdb is measured against.
 */
import { Messages, defaultValue, encodeValue, resolveEntity, type Row } from '@botdb/core';
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { Fixture } from '../targets.js';

/** The statements the scenarios need, on one driver. */
export interface RawDriver {
  /** `SELECT * FROM chat_streams WHERE stream_id = ?` */
  pointRead(streamId: string): unknown;
  /** `SELECT * FROM messages WHERE chat_id = ? ORDER BY time DESC LIMIT ?` */
  recent(chatId: string, limit: number): unknown;
  /** One INSERT, autocommit. */
  insert(row: Row): unknown;
  /** BEGIN, one INSERT per row, COMMIT. */
  insertTx(rows: readonly Row[]): unknown;
  close(): Promise<void>;
}

const MESSAGES = resolveEntity(Messages);
// Every column but the key: a raw user lists them and fills the Python defaults by hand.
const INSERT_COLUMNS = MESSAGES.table.columns.filter((c) => !c.primary);
const NOW = new Date();
const DEFAULTS = INSERT_COLUMNS.map((c) => (c.default === undefined ? null : defaultValue(c, NOW)));

/** `row` with the Python defaults filled in, as code that bypasses botdb must do (JS values). */
export function withDefaults(row: Row): Row {
  const out: Row = { ...row };
  INSERT_COLUMNS.forEach((c, i) => {
    if (out[c.name] === undefined && DEFAULTS[i] !== null) out[c.name] = DEFAULTS[i];
  });
  return out;
}

function insertValues(row: Row, dialect: 'sqlite' | 'postgresql'): unknown[] {
  const out = new Array<unknown>(INSERT_COLUMNS.length);
  for (let i = 0; i < INSERT_COLUMNS.length; i++) {
    const c = INSERT_COLUMNS[i]!;
    const v = row[c.name];
    out[i] = encodeValue(c.kind, v === undefined ? DEFAULTS[i] : v, dialect, 'local');
  }
  return out;
}

/** The same SQLite pragmas botdb sets on every connection, so durability settings are equal. */
export const SQLITE_PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL', 'busy_timeout = 60000', 'foreign_keys = ON'];

async function sqliteDriver(file: string): Promise<RawDriver> {
  const { default: Database } = await import('better-sqlite3');
  const conn: BetterSqlite3.Database = new Database(file);
  for (const p of SQLITE_PRAGMAS) conn.pragma(p);
  const point = conn.prepare('SELECT * FROM chat_streams WHERE stream_id = ?');
  const recent = conn.prepare('SELECT * FROM messages WHERE chat_id = ? ORDER BY time DESC LIMIT ?');
  const insert = conn.prepare(`INSERT INTO messages (${INSERT_COLUMNS.map((c) => c.name).join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`);
  const insertTx = conn.transaction((rows: readonly Row[]) => {
    for (const r of rows) insert.run(insertValues(r, 'sqlite'));
  });
  return {
    pointRead: (id) => point.get(id),
    recent: (chatId, limit) => recent.all(chatId, limit),
    insert: (row) => insert.run(insertValues(row, 'sqlite')),
    insertTx: (rows) => insertTx(rows),
    close: async () => void conn.close(),
  };
}

function pgDriver(url: string, schema: string): RawDriver {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // The server may end idle connections (a restart, pg_terminate_backend from another test run);
  // the pool drops such a client and opens a new one, and without a listener Node would crash.
  pool.on('error', () => undefined);
  const t = (name: string) => `"${schema}"."${name}"`;
  const pointSql = `SELECT * FROM ${t('chat_streams')} WHERE stream_id = $1`;
  const recentSql = `SELECT * FROM ${t('messages')} WHERE chat_id = $1 ORDER BY time DESC LIMIT $2`;
  const insertSql = `INSERT INTO ${t('messages')} (${INSERT_COLUMNS.map((c) => c.name).join(', ')}) VALUES (${INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
  return {
    pointRead: (id) => pool.query({ name: 'bench_point', text: pointSql, values: [id] }),
    recent: (chatId, limit) => pool.query({ name: 'bench_recent', text: recentSql, values: [chatId, limit] }),
    insert: (row) => pool.query({ name: 'bench_insert', text: insertSql, values: insertValues(row, 'postgresql') }),
    insertTx: async (rows) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        for (const r of rows) await client.query({ name: 'bench_insert', text: insertSql, values: insertValues(r, 'postgresql') });
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Opens the raw driver on a fixture. */
export async function openRaw(f: Fixture): Promise<RawDriver> {
  return f.dialect === 'sqlite' ? sqliteDriver(f.file!) : pgDriver(f.pgUrl!, f.schema!);
}
