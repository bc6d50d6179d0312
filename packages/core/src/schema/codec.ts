import { BotDbError } from '../errors.js';
import { formatNaive, normalizeNaive, parseNaive, type TimeZoneMode } from './datetime.js';
import type { ColumnDef, ColumnKind } from './types.js';

/** A row as the data API returns it: plain values keyed by column name. */
export type Row = Record<string, unknown>;

export type Dialect = 'sqlite' | 'postgresql';

const EXPECTED: Record<ColumnKind, string> = {
  integer: 'an integer from -2147483648 to 2147483647 (a JS number)',
  bigint: 'an integer from -2^63 to 2^63-1 (a safe JS number or a bigint)',
  float: 'a finite number',
  text: 'a string of well-formed UTF-16 without NUL characters',
  boolean: 'true or false',
  datetime: 'a Date from year 1 to 9999, or naive text "YYYY-MM-DD HH:MM:SS[.ffffff]" naming a real date and time',
};

// The stricter of the two databases decides what a value may be, so that a call that works on
// one works on the other: PostgreSQL's INTEGER is 32-bit (SQLite stores any 64-bit integer),
// BIGINT beyond 64 bits becomes a REAL on SQLite, PostgreSQL rejects NUL in text and has no
// year 0, SQLite keeps any text as a DateTime.
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** The same bounds as numbers, for sums computed in JS (2^63 is exact as a double). */
const INT64_BOUND = 2 ** 63;

/**
 * Whether `text` can be stored and read back unchanged by both databases: no NUL (PostgreSQL
 * rejects it) and no lone surrogate (UTF-8 cannot encode one: both drivers replace it, so the
 * row read back differs from the row written).
 */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && (text as string & { isWellFormed(): boolean }).isWellFormed();
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Whether normalised naive text (`YYYY-MM-DD HH:MM:SS.ffffff`) names a real calendar date and time. */
function isRealNaive(norm: string): boolean {
  const y = Number(norm.slice(0, 4));
  const mo = Number(norm.slice(5, 7));
  const d = Number(norm.slice(8, 10));
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!)) return false;
  // No leap second and no hour 24: PostgreSQL would roll either into the next minute or day.
  return Number(norm.slice(11, 13)) < 24 && Number(norm.slice(14, 16)) < 60 && Number(norm.slice(17, 19)) < 60;
}

/** A Date whose naive text has four year digits in either zone mode (years 1 to 9999). */
function isStorableDate(date: Date): boolean {
  if (Number.isNaN(date.getTime())) return false;
  const utc = date.getUTCFullYear();
  const local = date.getFullYear();
  return utc >= 1 && utc <= 9999 && local >= 1 && local <= 9999;
}

/** Whether `value` (not null) is a value a column of `kind` takes, on both databases. */
export function isValidValue(kind: ColumnKind, value: unknown): boolean {
  switch (kind) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
    case 'bigint':
      return typeof value === 'number' ? Number.isSafeInteger(value) : typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX;
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'text':
      return typeof value === 'string' && isStorableText(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'datetime': {
      if (value instanceof Date) return isStorableDate(value);
      if (typeof value !== 'string') return false;
      const norm = normalizeNaive(value);
      return norm !== null && isRealNaive(norm);
    }
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

/** The character limit of a `VARCHAR(n)` column on PostgreSQL, else undefined. */
function maxChars(col: ColumnDef): number | undefined {
  return col.pgType.startsWith('VARCHAR(') ? Number(col.pgType.slice(8, -1)) : undefined;
}

/** Counts code points (PostgreSQL's characters) of well-formed text. */
function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // a low surrogate completes a pair already counted
  }
  return n;
}

/**
 * `checkValue` for a value about to be stored: also within the column's `VARCHAR(n)` length,
 * which PostgreSQL enforces and SQLite ignores. (Filters may compare with longer text: that
 * matches nothing on both.)
 */
export function checkStoredValue(table: string, col: ColumnDef, value: unknown): void {
  checkValue(table, col, value, col.nullable);
  if (typeof value !== 'string') return;
  const max = maxChars(col);
  if (max !== undefined && value.length > max && codePoints(value) > max) {
    throw BotDbError.badValue(table, col.name, `text of at most ${max} characters (the column is VARCHAR(${max}))`, value);
  }
}

/**
 * Whether a number computed in memory (an increment's result) fits a number column of `kind`
 * on both databases.
 */
export function fitsColumn(kind: ColumnKind, value: number): boolean {
  if (kind === 'integer') return value >= INT32_MIN && value <= INT32_MAX;
  if (kind === 'bigint') return value >= -INT64_BOUND && value < INT64_BOUND;
  return Number.isFinite(value);
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
