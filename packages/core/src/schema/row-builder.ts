/**
 * Rows from the SQLite reader's value arrays. better-sqlite3 builds a row object by setting one
 * property at a time from C++, which leaves it a slow, dictionary-like object: reading, copying,
 * freezing or walking its keys costs several times what it does on an object literal. Reading
 * the values as an array and building the row with a literal of the entity's columns (a
 * function generated once per entity, as MikroORM's hydrators are) gives every caller a fast
 * object, decodes booleans and DateTimes on the way, and is itself faster than the driver's
 * objects: measured on a 27-column chat_streams point read, 0.6× the time.
 */
import type { EntityDef } from '../entities/entities.js';
import { decodeValue, type Dialect, type Row } from './codec.js';
import type { TimeZoneMode } from './datetime.js';

/** Builds a row from the values of `SELECT <def.columnNames>`, in that order. */
export type RowBuilder = (values: readonly unknown[]) => Row;

/** The columns whose driver values differ from their JS form on a dialect. */
export function decodedKinds(dialect: Dialect): readonly string[] {
  return dialect === 'sqlite' ? ['boolean', 'datetime'] : ['datetime', 'bigint'];
}

/** The row builder of an entity; column names come from the schema contract and are quoted as JSON. */
export function rowBuilder(def: EntityDef, dialect: Dialect, zone: TimeZoneMode): RowBuilder {
  const kinds = decodedKinds(dialect);
  const decoders: ((v: unknown) => unknown)[] = [];
  const fields = def.columnNames.map((name, i) => {
    const kind = def.columns.get(name)!.kind;
    if (!kinds.includes(kind)) return `${JSON.stringify(name)}: v[${i}]`;
    decoders.push((v) => decodeValue(kind, v, zone));
    return `${JSON.stringify(name)}: d[${decoders.length - 1}](v[${i}])`;
  });
  const make = new Function('d', `return function build(v) { return { ${fields.join(', ')} }; };`) as (d: readonly ((v: unknown) => unknown)[]) => RowBuilder;
  return make(decoders);
}
