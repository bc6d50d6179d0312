/**
 * The Python module's data API (`sqlalchemy_database_api`), call for call. Semantics are the
 * pre-refactor ones: update/delete/count return ints, errors are logged and give `[]`/`null`,
 * nothing throws; the one change is that sessions commit on normal exit.
 */
import { actionId, resolveEntity, type EntityDef, type EntityRef, type Row } from '@botdb/core';
import { createData, isKeyValue, knownData, lenientFilters, lenientLimit, lenientOrderBy } from './coerce.js';
import { defaultDb, logger } from './instance.js';

export type QueryType = 'get' | 'create' | 'update' | 'delete' | 'count';

/** `db_query`'s keyword arguments. */
export interface DbQueryArgs {
  data?: Row | null;
  query_type?: QueryType | string;
  filters?: Record<string, unknown> | null;
  limit?: number | null;
  /** A list of column names; a leading `-` sorts descending. */
  order_by?: string[] | null;
  single_result?: boolean;
}

/** `db_get`'s keyword arguments; here `order_by` is one string such as `"-time"`. */
export interface DbGetArgs {
  filters?: Record<string, unknown> | null;
  limit?: number | null;
  order_by?: string | null;
  single_result?: boolean;
}

/** `db_save`'s keyword arguments. */
export interface DbSaveArgs {
  key_field?: string | null;
  key_value?: unknown;
}

function failed(what: string, e: unknown, fallback: Row[] | null): Row[] | null {
  logger().error(`${what} failed`, e);
  return fallback;
}

/**
 * `db_query(model_class, data=None, query_type="get", filters=None, limit=None, order_by=None,
 * single_result=False)`. Never throws.
 */
export async function db_query(model_class: EntityRef, kwargs?: DbQueryArgs | null): Promise<Row[] | Row | number | null> {
  // null is "no keyword arguments"; anything else that is not an object is logged below.
  const args: DbQueryArgs = typeof kwargs === 'object' && kwargs !== null ? kwargs : {};
  const queryType = args.query_type ?? 'get';
  const single = args.single_result === true;
  let def: EntityDef;
  try {
    if (kwargs !== undefined && kwargs !== null && args !== kwargs) throw new TypeError('db_query takes its keyword arguments as an object');
    def = resolveEntity(model_class);
  } catch (e) {
    return failed('db_query', e, queryType === 'get' && !single ? [] : null);
  }
  try {
    const db = await defaultDb();
    switch (queryType) {
      case 'get': {
        // The Python module fetched every match and took the first for single_result.
        const rows = await db.get(def.name, { filters: lenientFilters(def, args.filters), orderBy: lenientOrderBy(def, args.order_by), limit: lenientLimit(args.limit) });
        return single ? (rows[0] ?? null) : rows;
      }
      case 'count':
        return await db.count(def.name, lenientFilters(def, args.filters));
      case 'create':
        if (!args.data) throw new TypeError('create requires data');
        return await db.create(def.name, createData(def, args.data));
      case 'update': {
        if (!args.data) throw new TypeError('update requires data');
        const filters = lenientFilters(def, args.filters);
        const data = knownData(def, args.data);
        // Setting nothing still "touches" every match, and the Python caller gets that count.
        if (Object.keys(data).length === 0) return await db.count(def.name, filters);
        return await db.update(def.name, filters, data);
      }
      case 'delete':
        return await db.delete(def.name, lenientFilters(def, args.filters));
      default:
        throw new RangeError(`unknown query_type "${String(queryType)}"`);
    }
  } catch (e) {
    return failed(`db_query(${def.name}, ${String(queryType)})`, e, queryType === 'get' && !single ? [] : null);
  }
}

/** `db_get(model_class, filters=None, limit=None, order_by=None, single_result=False)`. */
export async function db_get(model_class: EntityRef, kwargs?: DbGetArgs | null): Promise<Row[] | Row | null> {
  if (kwargs !== undefined && kwargs !== null && typeof kwargs !== 'object') return db_query(model_class, kwargs as never) as Promise<Row[] | null>;
  const args: DbGetArgs = kwargs ?? {};
  const result = await db_query(model_class, {
    query_type: 'get',
    filters: args.filters ?? null,
    limit: args.limit ?? null,
    order_by: typeof args.order_by === 'string' && args.order_by !== '' ? [args.order_by] : null,
    single_result: args.single_result === true,
  });
  return result as Row[] | Row | null;
}

/**
 * `db_save(model_class, data, key_field=None, key_value=None)`: updates the first row whose
 * `key_field` equals `key_value` with the known keys of `data`, else creates `data`. Returns the
 * row or null; never throws.
 */
export async function db_save(model_class: EntityRef, data: Row, kwargs?: DbSaveArgs | null): Promise<Row | null> {
  try {
    if (kwargs !== undefined && kwargs !== null && typeof kwargs !== 'object') throw new TypeError('db_save takes its keyword arguments as an object');
    const args: DbSaveArgs = kwargs ?? {};
    const def = resolveEntity(model_class);
    const keyField = args.key_field;
    const keyed = typeof keyField === 'string' && def.columns.has(keyField) && args.key_value !== undefined && args.key_value !== null;
    // An operator object or a list here would select some other row (or, its operators
    // dropped, every row) and overwrite it. SQLAlchemy refused them too.
    if (keyed && !isKeyValue(args.key_value)) throw new TypeError(`db_save's key_value must be one value of ${def.name}.${keyField}, not an object or a list`);
    const db = await defaultDb();
    if (!keyed) return await db.create(def.name, createData(def, data));
    const keyFilter = lenientFilters(def, { [keyField]: args.key_value });
    // One transaction: the lookup and the write it decides on see the same state. A data API
    // transaction is enough (no EntityManager), and on SQLite it runs on the fast writer.
    // Inside a get_db_session() callback it joins that session's transaction.
    return await db.transaction(
      async (tx) => {
        const found = (await tx.get(def.name, { filters: keyFilter, orderBy: def.primaryKey, single: true })) as Row | null;
        if (!found) return tx.create(def.name, createData(def, data));
        const update = knownData(def, data);
        if (Object.keys(update).length === 0) return found;
        const id = found[def.primaryKey];
        await tx.update(def.name, { [def.primaryKey]: id }, update);
        return (await tx.get(def.name, { filters: { [def.primaryKey]: id }, single: true })) as Row;
      },
      { ambient: false },
    );
  } catch (e) {
    logger().error('db_save failed', e);
    return null;
  }
}

/** What `store_action_info` reads of a chat stream. */
export interface ChatStreamLike {
  stream_id: string;
  platform: string;
}

/** `store_action_info`'s keyword arguments, with the Python defaults. */
export interface StoreActionInfoArgs {
  chat_stream?: ChatStreamLike | null;
  action_build_into_prompt?: boolean;
  action_prompt_display?: string;
  action_done?: boolean;
  thinking_id?: string;
  action_data?: Record<string, unknown> | null;
  action_name?: string;
}

/** Records an action (upsert by `action_id`); returns the saved row or null. Never throws. */
export async function store_action_info(args: StoreActionInfoArgs = {}): Promise<Row | null> {
  try {
    const id = actionId(args.thinking_id);
    const stream = args.chat_stream ?? null;
    const record: Row = {
      action_id: id,
      time: Date.now() / 1000,
      action_name: args.action_name ?? '',
      action_data: JSON.stringify(args.action_data ?? {}),
      action_done: args.action_done ?? true,
      action_build_into_prompt: args.action_build_into_prompt ?? false,
      action_prompt_display: args.action_prompt_display ?? '',
      chat_id: stream ? stream.stream_id : '',
      chat_info_stream_id: stream ? stream.stream_id : '',
      chat_info_platform: stream ? stream.platform : '',
    };
    // The record is complete and typed, so the data API's own upsert does what db_save would,
    // and it is a write the batch plugin can take (ActionRecords saves are batched by default).
    return (await (await defaultDb()).save('ActionRecords', record, { keyField: 'action_id', keyValue: id })) as Row;
  } catch (e) {
    logger().error('store_action_info failed', e);
    return null;
  }
}
