/**
 * Cache keys. A read's key names everything that decides its answer; a value's key is equal for
 * two values exactly when the database compares them equal, so that a row's value finds the
 * cached reads whose equality condition it satisfies.
 */
import { naiveMicros, type ColumnKind, type Filter, type ReadContext, type TimeZoneMode } from '@botdb/core';

/** A typed, comparable string for one column value. */
export function valueKey(kind: ColumnKind, value: unknown, zone: TimeZoneMode): string {
  if (value === null || value === undefined) return '\u0000';
  switch (kind) {
    case 'text':
      return `s${value as string}`;
    case 'boolean':
      return value ? 'b1' : 'b0';
    case 'datetime':
      return `d${naiveMicros(value as Date | string, zone)}`;
    default:
      return `n${String(value)}`;
  }
}

function conditionsKey(filter: Filter, zone: TimeZoneMode): string {
  let out = '';
  for (const c of filter) {
    out += `${c.column.name}\u0002${c.op}\u0002`;
    if (Array.isArray(c.value)) for (const v of c.value) out += `${valueKey(c.column.kind, v, zone)}\u0003`;
    else if (c.op !== 'isnull' && c.op !== 'notnull') out += valueKey(c.column.kind, c.value, zone);
    out += '\u0001';
  }
  return out;
}

/** The key of a read: entity, kind, filter, order, limit and single. */
export function readKey(ctx: ReadContext, zone: TimeZoneMode): string {
  let order = '';
  for (const t of ctx.orderBy) order += `${t.desc ? '-' : '+'}${t.column.name},`;
  return `${ctx.entity.name}\u0001${ctx.kind}\u0001${ctx.single ? 1 : 0}\u0001${ctx.limit ?? ''}\u0001${order}\u0001${conditionsKey(ctx.filter, zone)}`;
}
