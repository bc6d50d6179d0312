import { BotDbError } from '../errors.js';
import { defaultValue, type EntityDef } from '../entities/entities.js';
import { checkStoredValue, checkValue, fitsColumn, type Row } from '../schema/codec.js';
import type { TimeZoneMode } from '../schema/datetime.js';

/** Largest `limit` a read takes (the largest PostgreSQL `integer`; no table comes near it). */
export const MAX_LIMIT = 2 ** 31 - 1;

function checkObject(def: EntityDef, data: unknown, what: string): asserts data is Row {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || data instanceof Date) {
    throw BotDbError.badArgument(`${what} for ${def.name}`, 'an object keyed by column name', data);
  }
}

/** Whether `obj` has `key` as an own enumerable property: the only keys of a row that count. */
function hasOwnValue(obj: object, key: string): boolean {
  return Object.prototype.propertyIsEnumerable.call(obj, key);
}

/**
 * Validates a row to insert and completes it with the Python-side defaults. Unknown columns,
 * values of the wrong type, and missing NOT NULL columns without a default fail with a code.
 * Only own enumerable keys count: a value inherited through the prototype (an
 * `Object.create(row)`, a `__proto__` set by a careless copy) is not part of the row.
 */
export function prepareInsert(def: EntityDef, data: unknown, now: Date = new Date(), zone: TimeZoneMode = 'local'): Row {
  checkObject(def, data, 'data');
  const table = def.table.table;
  for (const key of Object.keys(data)) if (!def.columns.has(key)) throw BotDbError.unknownField(table, key, def.columnNames);
  const row: Row = {};
  for (const col of def.table.columns) {
    let value = data[col.name];
    if (value !== undefined && !hasOwnValue(data, col.name)) value = undefined;
    if (col.primary) {
      if (value === undefined || value === null) continue;
      checkValue(table, col, value, false);
      row[col.name] = value;
      continue;
    }
    // As in the Python module (SQLAlchemy) and MikroORM's onCreate, an explicit null in a column
    // with a default gets the default.
    if (value === undefined || (value === null && col.default !== undefined)) value = col.default !== undefined ? defaultValue(col, now, zone) : null;
    checkStoredValue(table, col, value);
    row[col.name] = value;
  }
  return row;
}

/** An increment in update data: `{ message_count: { $inc: 1 } }` adds to the stored value (NULL counts as 0). */
export interface Increment {
  readonly $inc: number;
}

/** Whether an update value is an increment. */
export function isIncrement(value: unknown): value is Increment {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && Object.hasOwn(value, '$inc');
}

/** Validates the columns of an update and adds `onupdate` columns the caller did not set. */
export function prepareUpdate(def: EntityDef, data: unknown, now: Date = new Date()): Row {
  checkObject(def, data, 'data');
  const table = def.table.table;
  const out: Row = {};
  for (const [key, value] of Object.entries(data)) {
    const col = def.columns.get(key);
    if (!col) throw BotDbError.unknownField(table, key, def.columnNames);
    if (value === undefined) continue;
    if (col.primary) throw BotDbError.badQuery(`The primary key ${table}.${key} cannot be updated.`);
    if (isIncrement(value)) {
      if (col.kind !== 'integer' && col.kind !== 'float' && col.kind !== 'bigint') {
        throw BotDbError.badValue(table, key, 'a value ({ $inc } works on number columns only)', value);
      }
      // The increment is itself a bound parameter of the column's type on PostgreSQL.
      if (typeof value.$inc !== 'number' || !Number.isFinite(value.$inc) || (col.kind !== 'float' && !Number.isSafeInteger(value.$inc)) || !fitsColumn(col.kind, value.$inc)) {
        throw BotDbError.badValue(table, key, `{ $inc: <${col.kind === 'float' ? 'finite number' : 'integer within the column type'}> }`, value.$inc);
      }
      if (Object.keys(value).length !== 1) throw BotDbError.unknownOperator(table, key, Object.keys(value).find((k) => k !== '$inc') ?? '?');
      out[key] = { $inc: value.$inc };
      continue;
    }
    checkStoredValue(table, col, value);
    out[key] = value;
  }
  if (Object.keys(out).length === 0) throw BotDbError.badQuery(`Update of ${def.name} has no columns to set.`);
  for (const col of def.table.columns) if (col.onUpdate === 'now' && !Object.hasOwn(out, col.name)) out[col.name] = now;
  return out;
}

/**
 * Checks, before the UPDATE runs, that every increment of `data` keeps each matched row's value
 * within its column type: PostgreSQL fails an overflowing statement, SQLite would store it (as
 * a REAL, or an infinity).
 */
export function checkIncrements(def: EntityDef, before: readonly Row[], data: Row): void {
  for (const key in data) {
    const inc = data[key];
    if (!isIncrement(inc)) continue;
    const col = def.columns.get(key);
    if (col === undefined) continue;
    for (const row of before) {
      const stored = row[key];
      const result = (typeof stored === 'number' ? stored : 0) + inc.$inc;
      if (!fitsColumn(col.kind, result)) throw BotDbError.badValue(def.table.table, key, `an increment whose result fits the column (row ${String(row[def.primaryKey])} holds ${String(stored)})`, inc.$inc);
    }
  }
}

/**
 * Validates a limit: a safe non-negative integer up to `max` (a caller's: `MAX_LIMIT`); 0 and
 * undefined mean none (the Python rule).
 */
export function prepareLimit(limit: unknown, max: number = MAX_LIMIT): number | undefined {
  if (limit === undefined || limit === null || limit === 0) return undefined;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0 || limit > max) {
    throw BotDbError.badArgument('limit', `an integer from 0 to ${max}`, limit);
  }
  return limit;
}

/** Checks a data API call's options argument: undefined or an object. */
export function checkOptions(call: string, options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw BotDbError.badArgument(`options of ${call}()`, 'an options object', options);
}

/**
 * Checks `save()`'s arguments before anything runs: data is an object, and a key value is a
 * plain value of the key column's type. An operator object there (`{ $ne: 'x' }`) would turn
 * "the row with this key" into "any row but one", and save would overwrite it.
 */
export function checkSave(def: EntityDef, data: unknown, options: unknown): void {
  checkObject(def, data, 'data');
  checkOptions('save', options);
  if (options === undefined) return;
  const { keyField, keyValue } = options as { keyField?: unknown; keyValue?: unknown };
  // Without both, save inserts; keyField is not looked at.
  if (keyField === undefined || keyValue === undefined || keyValue === null) return;
  if (typeof keyField !== 'string') throw BotDbError.badArgument(`keyField of save(${def.name})`, 'a column name', keyField);
  const col = def.columns.get(keyField);
  if (col === undefined) throw BotDbError.unknownField(def.table.table, keyField, def.columnNames);
  checkValue(def.table.table, col, keyValue, false);
}
