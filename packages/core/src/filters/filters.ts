/**
 * The filter dialect, owned in one place: `{ field: value | null | { $gt, $gte, $lt, $lte, $ne,
 * $in, $nin } }`, all conditions ANDed. A filter is normalised once, then either translated to
 * SQL with bound parameters (`filterToSql`) or evaluated against a row in memory
 * (`matchesFilter`). A property test keeps the two in agreement, including SQL's three-valued
 * logic: a comparison with NULL is never true, `$ne` and `$nin` exclude NULL rows, an empty
 * `$in` matches nothing and an empty `$nin` everything.
 */
import { BotDbError } from '../errors.js';
import { checkValue, encodeValue, type Dialect, type Row } from '../schema/codec.js';
import { naiveMicros, type TimeZoneMode } from '../schema/datetime.js';
import type { ColumnDef, ColumnKind } from '../schema/types.js';
import type { EntityDef } from '../entities/entities.js';

/** A filter as callers write it. */
export type FilterInput = Readonly<Record<string, unknown>>;

export type Op = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'nin' | 'isnull' | 'notnull';

/** One normalised, validated condition. `value` is an array for `in`/`nin`. */
export interface Condition {
  readonly column: ColumnDef;
  readonly op: Op;
  readonly value: unknown;
}

/** A normalised filter: its conditions, ANDed. */
export type Filter = readonly Condition[];

// A Map, not an object literal: an operator name is a caller's string, and `"__proto__"` or
// `"constructor"` must not find Object.prototype's members.
const OPERATORS: ReadonlyMap<string, Op> = new Map<string, Op>([
  ['$gt', 'gt'], ['$gte', 'gte'], ['$lt', 'lt'], ['$lte', 'lte'], ['$ne', 'ne'], ['$in', 'in'], ['$nin', 'nin'],
]);

/**
 * Most values `$in`/`$nin` lists of one filter may hold together. Each is a bound parameter:
 * SQLite allows 32,766 per statement and PostgreSQL 65,535, and a statement also binds the
 * filter's other conditions.
 */
export const MAX_LIST_VALUES = 30_000;

/**
 * A plain object (an object literal, `JSON.parse` output, a null-prototype record). Filters and
 * operator objects must be one: only own enumerable keys count, so a class instance or a Map
 * would read as `{}`, which means "every row" to update and delete.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Validates a filter against an entity and normalises it; throws coded errors on anything unknown. */
export function normalizeFilter(def: EntityDef, input: FilterInput | undefined | null): Filter {
  if (input === undefined || input === null) return [];
  if (!isPlainObject(input)) {
    throw BotDbError.badQuery(`filters for ${def.name} must be a plain object like { chat_id: "..." }, got ${Array.isArray(input) ? 'an array' : typeof input === 'object' ? 'an instance of a class' : typeof input}.`);
  }
  const out: Condition[] = [];
  const table = def.table.table;
  let listed = 0;
  // for-in rather than Object.entries: no pair arrays on every read (a hot path).
  for (const field in input) {
    if (!Object.hasOwn(input, field)) continue;
    const spec = input[field];
    const column = def.columns.get(field);
    if (!column) throw BotDbError.unknownField(table, field, def.columnNames);
    if (spec === undefined) {
      throw BotDbError.badValue(table, field, 'a value, null, or an operator object', spec);
    }
    if (spec === null) {
      out.push({ column, op: 'isnull', value: null });
      continue;
    }
    if (!isPlainObject(spec)) {
      if (Array.isArray(spec)) throw BotDbError.badValue(table, field, 'a single value (use { $in: [...] } for a list)', spec);
      checkValue(table, column, spec, false);
      out.push({ column, op: 'eq', value: spec });
      continue;
    }
    const ops = Object.entries(spec);
    if (ops.length === 0) throw BotDbError.badQuery(`Empty operator object on ${table}.${field}; use a value or an operator.`);
    for (const [key, value] of ops) {
      const op = OPERATORS.get(key);
      if (op === undefined) throw BotDbError.unknownOperator(table, field, key);
      if (op === 'in' || op === 'nin') {
        if (!Array.isArray(value)) throw BotDbError.badValue(table, field, `an array for ${key}`, value);
        listed += value.length;
        if (listed > MAX_LIST_VALUES) {
          throw BotDbError.badQuery(`The $in/$nin lists of one filter on ${table} may hold at most ${MAX_LIST_VALUES} values together; split the call or filter on a range.`);
        }
        const list: unknown[] = [...value];
        for (const v of list) checkValue(table, column, v, true);
        out.push({ column, op, value: Object.freeze(list) });
      } else if (value === null) {
        if (op === 'ne') out.push({ column, op: 'notnull', value: null });
        else throw BotDbError.badValue(table, field, `a value for ${key} (null only works with equality and $ne)`, value);
      } else {
        checkValue(table, column, value, false);
        out.push({ column, op, value });
      }
    }
  }
  // Not frozen (readonly in its type): freezing costs a hot-path read more than the rest of
  // this function.
  return out;
}

/** Quotes an identifier (all botdb identifiers are plain snake_case). */
export function quoteIdent(name: string): string {
  return `"${name}"`;
}

const SQL_OP: Readonly<Record<string, string>> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** Options for translating to SQL. */
export interface SqlOptions {
  readonly dialect: Dialect;
  readonly zone: TimeZoneMode;
}

/**
 * Translates a filter to an SQL condition with `?` placeholders and the parameters to bind.
 * Returns `1 = 1` for an empty filter. No value is ever inlined into the SQL text.
 */
export function filterToSql(filter: Filter, options: SqlOptions): { sql: string; params: unknown[] } {
  if (filter.length === 0) return { sql: '1 = 1', params: [] };
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const c of filter) {
    const col = quoteIdent(c.column.name);
    const enc = (v: unknown) => encodeValue(c.column.kind, v, options.dialect, options.zone);
    switch (c.op) {
      case 'isnull':
        parts.push(`${col} IS NULL`);
        break;
      case 'notnull':
        parts.push(`${col} IS NOT NULL`);
        break;
      case 'in':
      case 'nin': {
        const list = c.value as readonly unknown[];
        if (list.length === 0) {
          parts.push(c.op === 'in' ? '1 = 0' : '1 = 1');
          break;
        }
        parts.push(`${col} ${c.op === 'in' ? 'IN' : 'NOT IN'} (${list.map(() => '?').join(', ')})`);
        for (const v of list) params.push(enc(v));
        break;
      }
      default: {
        // PostgreSQL compares text by the database's collation; SQLite (and the in-memory
        // evaluator) by code point. Range comparisons on text use "C" so all three agree.
        const collate = options.dialect === 'postgresql' && c.column.kind === 'text' && c.op !== 'eq' && c.op !== 'ne' ? ' COLLATE "C"' : '';
        parts.push(`${col}${collate} ${SQL_OP[c.op]} ?`);
        params.push(enc(c.value));
      }
    }
  }
  return { sql: parts.join(' AND '), params };
}

/** Compares two non-null values of a column kind the way the database orders them. */
export function compareValues(kind: ColumnKind, a: unknown, b: unknown, zone: TimeZoneMode): number {
  switch (kind) {
    case 'text':
      return compareCodePoints(String(a), String(b));
    case 'datetime':
      return naiveMicros(a as Date | string, zone) - naiveMicros(b as Date | string, zone);
    case 'boolean':
      return Number(a) - Number(b);
    case 'bigint': {
      const x = BigInt(a as number | bigint);
      const y = BigInt(b as number | bigint);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default:
      return (a as number) - (b as number);
  }
}

/** Code-point order, which is SQLite's BINARY collation on UTF-8 (UTF-16 `<` differs on surrogates). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1; // a surrogate encodes a code point above every BMP unit
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Evaluates a filter against a row (values in their JS form, as the data API returns them),
 * with SQL's semantics: only a condition that is TRUE matches; NULL never compares.
 */
export function matchesFilter(filter: Filter, row: Row, zone: TimeZoneMode = 'local'): boolean {
  for (const c of filter) {
    const v = row[c.column.name];
    const isNull = v === null || v === undefined;
    switch (c.op) {
      case 'isnull':
        if (!isNull) return false;
        break;
      case 'notnull':
        if (isNull) return false;
        break;
      case 'in': {
        if (isNull) return false;
        const list = c.value as readonly unknown[];
        if (!list.some((x) => x !== null && compareValues(c.column.kind, v, x, zone) === 0)) return false;
        break;
      }
      case 'nin': {
        const list = c.value as readonly unknown[];
        if (list.length === 0) break;
        if (isNull || list.includes(null)) return false;
        if (list.some((x) => compareValues(c.column.kind, v, x, zone) === 0)) return false;
        break;
      }
      default: {
        if (isNull) return false;
        const cmp = compareValues(c.column.kind, v, c.value, zone);
        const ok =
          c.op === 'eq' ? cmp === 0 : c.op === 'ne' ? cmp !== 0 : c.op === 'gt' ? cmp > 0 : c.op === 'gte' ? cmp >= 0 : c.op === 'lt' ? cmp < 0 : cmp <= 0;
        if (!ok) return false;
      }
    }
  }
  return true;
}

/** One ORDER BY term. */
export interface OrderTerm {
  readonly column: ColumnDef;
  readonly desc: boolean;
}

const NO_ORDER: readonly OrderTerm[] = Object.freeze([]);

/**
 * Parses `'-time'` or `['-time', 'id']`; unknown columns throw `BOTDB_ERR_UNKNOWN_FIELD`.
 *
 * A non-empty order ends with the primary key (in the direction of the last term) unless it
 * names it already, so that rows with equal sort keys come back in one defined order. The
 * cache can then keep an ordered, limited read's answer up to date in memory and still equal
 * the database's answer. On SQLite the key is the rowid, which every index already orders
 * by within equal keys: `ORDER BY time DESC, id DESC` uses the same index walk as
 * `ORDER BY time DESC`.
 */
export function normalizeOrderBy(def: EntityDef, input: string | readonly string[] | undefined | null): readonly OrderTerm[] {
  if (input === undefined || input === null) return NO_ORDER;
  const list = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(list)) throw BotDbError.badQuery(`orderBy must be a column name ("-time" for descending) or a list of them.`);
  if (list.length === 0) return NO_ORDER;
  const terms: OrderTerm[] = [];
  let hasKey = false;
  // for-of visits a hole in the list as undefined (refused below); map would skip it.
  for (const term of list as readonly unknown[]) {
    if (typeof term !== 'string' || term === '' || term === '-') throw BotDbError.badArgument('orderBy', 'column names ("-time" for descending)', term);
    const desc = term.startsWith('-');
    const name = desc ? term.slice(1) : term;
    const column = def.columns.get(name);
    if (!column) throw BotDbError.unknownField(def.table.table, name, def.columnNames);
    if (name === def.primaryKey) hasKey = true;
    terms.push({ column, desc });
  }
  if (!hasKey) terms.push({ column: def.columns.get(def.primaryKey)!, desc: terms[terms.length - 1]!.desc });
  return Object.freeze(terms);
}

/**
 * Compares two rows the way an ORDER BY of `terms` (as `normalizeOrderBy` returns them) orders
 * them on both databases: NULLs first ascending and last descending, text by code point.
 */
export function compareRows(terms: readonly OrderTerm[], a: Row, b: Row, zone: TimeZoneMode): number {
  for (const t of terms) {
    const x = a[t.column.name];
    const y = b[t.column.name];
    const xNull = x === null || x === undefined;
    const yNull = y === null || y === undefined;
    let cmp: number;
    if (xNull || yNull) cmp = xNull === yNull ? 0 : xNull ? -1 : 1;
    else cmp = compareValues(t.column.kind, x, y, zone);
    if (cmp !== 0) return t.desc ? -cmp : cmp;
  }
  return 0;
}

/** Translates ORDER BY terms; NULLs sort first ascending on both databases, as SQLite does. */
export function orderByToSql(terms: readonly OrderTerm[], dialect: Dialect): string {
  if (terms.length === 0) return '';
  const sql = terms.map((t) => {
    const collate = dialect === 'postgresql' && t.column.kind === 'text' ? ' COLLATE "C"' : '';
    // Only where NULLs can occur: on a NOT NULL column the clause changes nothing but keeps
    // PostgreSQL from walking a plain index backwards for `DESC`.
    const nulls = dialect === 'postgresql' && t.column.nullable ? (t.desc ? ' NULLS LAST' : ' NULLS FIRST') : '';
    return `${quoteIdent(t.column.name)}${collate} ${t.desc ? 'DESC' : 'ASC'}${nulls}`;
  });
  return ` ORDER BY ${sql.join(', ')}`;
}
