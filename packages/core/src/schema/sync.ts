/**
 * Schema sync at start: create missing tables, add missing columns and indexes (compared by
 * name, as the Python module's migration did). Never drops, renames or alters anything, so a
 * database with extra columns or indexes keeps them.
 */
import type { Knex } from '@mikro-orm/knex';
import { quoteIdent } from '../filters/filters.js';
import type { Dialect } from './codec.js';
import { TABLES } from './tables.js';
import type { ColumnDef, IndexDef, TableDef } from './types.js';

/** Indexes botdb adds for its hot queries; the Python bot ignores them. */
export const BOTDB_INDEXES: readonly (IndexDef & { readonly table: string })[] = Object.freeze([
  // "recent N messages of a chat" otherwise sorts the whole chat.
  { table: 'messages', name: 'idx_botdb_messages_chat_id_time', columns: ['chat_id', 'time'], unique: false },
]);

/** What sync did, for logs and tests. */
export interface SyncReport {
  readonly createdTables: string[];
  readonly addedColumns: string[];
  readonly createdIndexes: string[];
  readonly warnings: string[];
}

interface SyncContext {
  readonly knex: Knex;
  readonly dialect: Dialect;
  readonly schema: string | undefined;
}

function rowsOf(res: unknown): Record<string, unknown>[] {
  return (Array.isArray(res) ? res : (res as { rows: Record<string, unknown>[] }).rows) ?? [];
}

function tableRef(ctx: SyncContext, name: string): string {
  return ctx.schema ? `${quoteIdent(ctx.schema)}.${quoteIdent(name)}` : quoteIdent(name);
}

function columnType(ctx: SyncContext, col: ColumnDef): string {
  return ctx.dialect === 'sqlite' ? col.sqliteType : col.pgType;
}

/** CREATE TABLE in the Python module's exact form on SQLite (no DEFAULT clauses, no FKs). */
export function createTableSql(table: TableDef, dialect: Dialect, schema?: string): string {
  const ctx = { dialect, schema } as SyncContext;
  const ident = dialect === 'sqlite' ? (n: string) => n : quoteIdent;
  const lines = table.columns.map((c) => `\t${ident(c.name)} ${columnType(ctx, c)} NOT NULL`.replace(/ NOT NULL$/, c.nullable ? '' : ' NOT NULL'));
  const pk = table.columns.find((c) => c.primary);
  if (pk) lines.push(`\tPRIMARY KEY (${ident(pk.name)})`);
  for (const u of table.uniques) {
    lines.push(`\t${u.name ? `CONSTRAINT ${ident(u.name)} ` : ''}UNIQUE (${u.columns.map(ident).join(', ')})`);
  }
  const name = dialect === 'sqlite' ? table.table : tableRef(ctx, table.table);
  return `CREATE TABLE ${name} (\n${lines.join(', \n')}\n)`;
}

function createIndexSql(ctx: SyncContext, table: string, index: IndexDef): string {
  const ident = ctx.dialect === 'sqlite' ? (n: string) => n : quoteIdent;
  return `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${ident(index.name)} ON ${ctx.dialect === 'sqlite' ? table : tableRef(ctx, table)} (${index.columns.map(ident).join(', ')})`;
}

function literal(value: string | number | boolean, dialect: Dialect): string {
  if (typeof value === 'boolean') return dialect === 'sqlite' ? (value ? '1' : '0') : value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}

async function existingTables(ctx: SyncContext): Promise<Set<string>> {
  const res =
    ctx.dialect === 'sqlite'
      ? await ctx.knex.raw(`SELECT name FROM sqlite_master WHERE type = 'table'`)
      : await ctx.knex.raw(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?`, [ctx.schema ?? 'public']);
  return new Set(rowsOf(res).map((r) => String(r.name)));
}

async function existingColumns(ctx: SyncContext, table: string): Promise<Set<string>> {
  const res =
    ctx.dialect === 'sqlite'
      ? await ctx.knex.raw(`SELECT name FROM pragma_table_info(?)`, [table])
      : await ctx.knex.raw(`SELECT column_name AS name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?`, [ctx.schema ?? 'public', table]);
  return new Set(rowsOf(res).map((r) => String(r.name)));
}

async function existingIndexes(ctx: SyncContext): Promise<Set<string>> {
  const res =
    ctx.dialect === 'sqlite'
      ? await ctx.knex.raw(`SELECT name FROM sqlite_master WHERE type = 'index'`)
      : await ctx.knex.raw(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = ?`, [ctx.schema ?? 'public']);
  return new Set(rowsOf(res).map((r) => String(r.name)));
}

/** Brings the database up to the schema contract without removing or changing anything. */
export async function syncSchema(knex: Knex, dialect: Dialect, schema: string | undefined): Promise<SyncReport> {
  const ctx: SyncContext = { knex, dialect, schema };
  const report: SyncReport = { createdTables: [], addedColumns: [], createdIndexes: [], warnings: [] };
  if (dialect === 'postgresql' && schema) await knex.raw(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  const tables = await existingTables(ctx);
  for (const table of TABLES) {
    if (!tables.has(table.table)) {
      await knex.raw(createTableSql(table, dialect, schema));
      report.createdTables.push(table.table);
      continue;
    }
    const have = await existingColumns(ctx, table.table);
    for (const col of table.columns) {
      if (have.has(col.name)) continue;
      const lit = col.default && 'value' in col.default ? col.default.value : undefined;
      // SQLite refuses ADD COLUMN ... NOT NULL without a default; the Python migration failed
      // here and moved on. botdb adds the column nullable and fills it on every insert.
      const notNull = !col.nullable && lit !== undefined;
      if (!col.nullable && lit === undefined) {
        report.warnings.push(`${table.table}.${col.name} added as nullable: NOT NULL needs a default for existing rows; botdb writes its default on insert.`);
      }
      const def = lit === undefined ? '' : ` DEFAULT ${literal(lit, dialect)}`;
      await knex.raw(`ALTER TABLE ${tableRef(ctx, table.table)} ADD COLUMN ${quoteIdent(col.name)} ${columnType(ctx, col)}${def}${notNull ? ' NOT NULL' : ''}`);
      report.addedColumns.push(`${table.table}.${col.name}`);
    }
  }
  const indexes = await existingIndexes(ctx);
  const wanted = [
    ...TABLES.flatMap((t) => t.indexes.map((i) => ({ ...i, table: t.table }))),
    ...BOTDB_INDEXES,
  ];
  for (const index of wanted) {
    if (indexes.has(index.name)) continue;
    try {
      await knex.raw(createIndexSql(ctx, index.table, index));
      report.createdIndexes.push(index.name);
    } catch (e) {
      // A unique index over duplicate rows cannot be built; the bot still starts.
      report.warnings.push(`index ${index.name} on ${index.table} not created: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return report;
}
