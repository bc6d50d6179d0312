import { BotDbError } from '../errors.js';
import { formatNaive, normalizeNaive, parseNaive, type TimeZoneMode } from './datetime.js';
import type { ColumnDef, ColumnKind } from './types.js';

/** A row as the data API returns it: plain values keyed by column name. */
export type Row = Record<string, unknown>;

export type Dialect = 'sqlite' | 'postgresql';

const EXPECTED: Record<ColumnKind, string> = {
  integer: 'an integer (safe JS number)',
  bigint: 'an integer (safe JS number or bigint)',
  float: 'a finite number',
  text: 'a string',
  boolean: 'true or false',
  datetime: 'a valid Date or naive text "YYYY-MM-DD HH:MM:SS[.ffffff]"',
};

/** Whether `value` (not null) has the JavaScript type a column of `kind` takes. */
export function isValidValue(kind: ColumnKind, value: unknown): boolean {
  switch (kind) {
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'bigint':
      return (typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'bigint';
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'text':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'datetime':
      return value instanceof Date ? !Number.isNaN(value.getTime()) : typeof value === 'string' && normalizeNaive(value) !== null;
  }
}

/** Throws `BOTDB_ERR_BAD_VALUE` unless `value` fits the column (null only where nullable, if `allowNull`). */
export function checkValue(table: string, col: ColumnDef, value: unknown, allowNull: boolean): void {
  if (value === null) {
    if (allowNull) return;
    throw BotDbError.badValue(table, col.name, `${EXPECTED[col.kind]} (the column is NOT NULL)`, value);
  }
  if (!isValidValue(col.kind, value)) throw BotDbError.badValue(table, col.name, EXPECTED[col.kind], value);
}

/** Converts one validated JS value to the parameter the driver binds. */
export function encodeValue(kind: ColumnKind, value: unknown, dialect: Dialect, zone: TimeZoneMode): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'boolean':
      return dialect === 'sqlite' ? (value ? 1 : 0) : value;
    case 'datetime':
      return value instanceof Date ? formatNaive(value, zone) : normalizeNaive(value as string);
    case 'bigint':
      return typeof value === 'bigint' ? value.toString() : value;
    default:
      return value;
  }
}

/**
 * Converts one value as the driver returned it to its JS form. Tolerant on purpose: a file the
 * Python bot wrote may hold 0/1 or text where types say otherwise, and a read never fails on it.
 */
export function decodeValue(kind: ColumnKind, value: unknown, zone: TimeZoneMode): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean' ? value : typeof value === 'string' ? value === '1' || value.toLowerCase() === 'true' : Boolean(value);
    case 'datetime':
      if (value instanceof Date) return value;
      if (typeof value === 'string') return parseNaive(value, zone) ?? value;
      return value;
    case 'bigint':
    case 'integer':
    case 'float':
      return typeof value === 'string' || typeof value === 'bigint' ? Number(value) : value;
    default:
      return value;
  }
}
