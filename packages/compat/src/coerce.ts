/**
 * The Python module's leniency, applied before a call reaches botdb's strict core: unknown
 * fields and operators are dropped with a warning (as `build_filters` did), and values are
 * coerced the way SQLite's column affinity treated them (a number compared with a TEXT
 * column is its decimal text, a numeric string compared with a number column is a number).
 */
import type { ColumnDef, EntityDef, FilterInput, Row } from '@botdb/core';
import { logger } from './instance.js';

const OPERATORS = new Set(['$gt', '$lt', '$gte', '$lte', '$ne', '$in', '$nin']);
/** The largest limit core takes; a larger one meant "all rows" to the Python module. */
const MAX_LIMIT = 2 ** 31 - 1;
const NUMERIC = /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/;

/** Coerces one value toward a column's type where SQLite would have; anything else passes. */
export function coerceValue(col: ColumnDef, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (col.kind) {
    case 'text':
      return typeof value === 'number' || typeof value === 'bigint' ? String(value) : typeof value === 'boolean' ? (value ? '1' : '0') : value;
    case 'integer':
    case 'bigint':
    case 'float':
      if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
      if (typeof value === 'boolean') return value ? 1 : 0;
      return value;
    case 'boolean':
      return typeof value === 'number' ? value !== 0 : value;
    default:
      return value;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * A record without a prototype. Keys come from callers (often `JSON.parse` output): in a `{}`,
 * assigning a `"__proto__"` key would replace the prototype and smuggle its properties in as
 * the row's; here it is an ordinary key, which core then refuses as an unknown column.
 */
function record(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/** A value `key_value` may be: one value, never an object of operators or a list. */
export function isKeyValue(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value instanceof Date;
}

/** `build_filters`: unknown fields and operators warn and are dropped; values coerced. */
export function lenientFilters(def: EntityDef, filters: unknown): FilterInput {
  if (filters === undefined || filters === null) return {};
  if (!isPlainObject(filters)) throw new TypeError('filters must be a dict');
  const out = record();
  for (const [field, spec] of Object.entries(filters)) {
    const col = def.columns.get(field);
    if (!col) {
      logger().warn(`${def.name} has no field "${field}"; condition ignored`);
      continue;
    }
    if (!isPlainObject(spec)) {
      out[field] = coerceValue(col, spec);
      continue;
    }
    const ops = record();
    for (const [op, v] of Object.entries(spec)) {
      if (!OPERATORS.has(op)) {
        logger().warn(`unknown operator "${op}" on ${def.name}.${field}; condition ignored`);
        continue;
      }
      ops[op] = Array.isArray(v) ? v.map((x) => coerceValue(col, x)) : coerceValue(col, v);
    }
    if (Object.keys(ops).length > 0) out[field] = ops;
  }
  return out;
}

/** `order_by`: a list of names, `-` for descending; unknown fields are ignored silently. */
export function lenientOrderBy(def: EntityDef, orderBy: unknown): string[] | undefined {
  if (orderBy === undefined || orderBy === null) return undefined;
  const list = typeof orderBy === 'string' ? [orderBy] : Array.isArray(orderBy) ? orderBy : [];
  const kept = list.filter((t): t is string => typeof t === 'string' && def.columns.has(t.startsWith('-') ? t.slice(1) : t));
  return kept.length > 0 ? kept : undefined;
}

/** `limit`: applied only if truthy and > 0; one beyond any table's size is no limit. */
export function lenientLimit(limit: unknown): number | undefined {
  return typeof limit === 'number' && Number.isInteger(limit) && limit > 0 && limit <= MAX_LIMIT ? limit : undefined;
}

/** Data for an update: keys that are not columns are ignored (with a warning), values coerced. */
export function knownData(def: EntityDef, data: Row): Row {
  const out = record();
  for (const [key, value] of Object.entries(data)) {
    const col = def.columns.get(key);
    if (!col) {
      logger().warn(`${def.name} has no field "${key}"; ignored`);
      continue;
    }
    if (col.primary) continue;
    out[key] = coerceValue(col, value);
  }
  return out;
}

/**
 * Data for a create: unknown keys stay, so that core rejects them as `Model(**data)` did. A
 * `None` for a column with a default gets the default, as SQLAlchemy does on insert.
 */
export function createData(def: EntityDef, data: Row): Row {
  const out = record();
  for (const [key, value] of Object.entries(data)) {
    const col = def.columns.get(key);
    if (col && (value === null || value === undefined) && col.default !== undefined) continue;
    out[key] = col ? coerceValue(col, value) : value;
  }
  return out;
}
