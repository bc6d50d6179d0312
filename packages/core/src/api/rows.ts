import { BotDbError } from '../errors.js';
import { defaultValue, type EntityDef } from '../entities/entities.js';
import { checkValue, type Row } from '../schema/codec.js';
import type { TimeZoneMode } from '../schema/datetime.js';

function checkObject(def: EntityDef, data: unknown, what: string): asserts data is Row {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || data instanceof Date) {
    throw BotDbError.badQuery(`${what} for ${def.name} must be an object keyed by column name.`);
  }
}

/**
 * Validates a row to insert and completes it with the Python-side defaults. Unknown columns,
 * values of the wrong type, and missing NOT NULL columns without a default fail with a code.
 */
export function prepareInsert(def: EntityDef, data: unknown, now: Date = new Date(), zone: TimeZoneMode = 'local'): Row {
  checkObject(def, data, 'data');
  const table = def.table.table;
  for (const key of Object.keys(data)) if (!def.columns.has(key)) throw BotDbError.unknownField(table, key, def.columnNames);
  const row: Row = {};
  for (const col of def.table.columns) {
    let value = data[col.name];
    if (col.primary) {
      if (value === undefined || value === null) continue;
      checkValue(table, col, value, false);
      row[col.name] = value;
      continue;
    }
    // As in the Python module (SQLAlchemy) and MikroORM's onCreate, an explicit null in a column
    // with a default gets the default.
    if (value === undefined || (value === null && col.default !== undefined)) value = col.default !== undefined ? defaultValue(col, now, zone) : null;
    checkValue(table, col, value, col.nullable);
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
  return typeof value === 'object' && value !== null && !(value instanceof Date) && '$inc' in value;
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
      if (typeof value.$inc !== 'number' || !Number.isFinite(value.$inc) || (col.kind !== 'float' && !Number.isSafeInteger(value.$inc))) {
        throw BotDbError.badValue(table, key, `{ $inc: <${col.kind === 'float' ? 'finite number' : 'integer'}> }`, value.$inc);
      }
      if (Object.keys(value).length !== 1) throw BotDbError.unknownOperator(table, key, Object.keys(value).find((k) => k !== '$inc') ?? '?');
      out[key] = { $inc: value.$inc };
      continue;
    }
    checkValue(table, col, value, col.nullable);
    out[key] = value;
  }
  if (Object.keys(out).length === 0) throw BotDbError.badQuery(`Update of ${def.name} has no columns to set.`);
  for (const col of def.table.columns) if (col.onUpdate === 'now' && !(col.name in out)) out[col.name] = now;
  return out;
}

/** Validates a limit: a non-negative integer; 0 and undefined mean none (the Python rule). */
export function prepareLimit(limit: unknown): number | undefined {
  if (limit === undefined || limit === null || limit === 0) return undefined;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw BotDbError.badQuery(`limit must be a non-negative integer, got ${JSON.stringify(limit)}.`);
  }
  return limit;
}
