import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { ResolvedConfig } from '../config/config.js';
import type { EntityRef, RowOf } from '../entities/entities.js';
import type { FilterInput } from '../filters/filters.js';
import type { Pipeline } from '../pipeline/plugin.js';
import type { Row } from '../schema/codec.js';
import type { SyncReport } from '../schema/sync.js';

/** Per-call options that plugins read, e.g. `{ cache: false }` to bypass the cache. */
export interface CallOptions {
  /** Set false to bypass the cache plugin for this call. */
  readonly cache?: boolean;
  /** Set 'high' to make the batch plugin flush this write at once. */
  readonly priority?: 'normal' | 'high';
  readonly [option: string]: unknown;
}

/** Options of a read. */
export interface GetOptions extends CallOptions {
  /** `{ column: value | null | { $gt, $gte, $lt, $lte, $ne, $in, $nin } }`, ANDed. */
  readonly filters?: FilterInput;
  /** `'-time'` (descending) or a list like `['chat_id', '-time']`. */
  readonly orderBy?: string | readonly string[];
  /** At most this many rows; 0 or undefined means no limit. */
  readonly limit?: number;
  /** Return the first row or null instead of a list. */
  readonly single?: boolean;
}

/** `db.query()`'s options: a read or write selected by `type`. */
export interface QueryOptions extends GetOptions {
  readonly type: 'get' | 'create' | 'update' | 'delete' | 'count';
  /** The row to create, or the columns to update. */
  readonly data?: Row;
}

/** `db.save()`'s options: the column identifying the row to update. */
export interface SaveOptions extends CallOptions {
  readonly keyField?: string;
  readonly keyValue?: unknown;
}

/** Columns to update: a value, or `{ $inc: n }` on a number column to add to what is stored. */
export type UpdateOf<R> = { [K in keyof R]?: R[K] | (NonNullable<R[K]> extends number ? { readonly $inc: number } : never) };

/** `db.transaction()`'s options. */
export interface TransactionOptions {
  /**
   * `true` (default): data API calls made through `db` anywhere inside `fn` join the
   * transaction, found through Node's AsyncLocalStorage. `false`: only calls made through the
   * `tx` handle join; nothing else is tracked, so the transaction does not turn on Node's
   * async hooks, which cost every promise of the process about 0.2 µs while they are on.
   */
  readonly ambient?: boolean;
}

/** A session's EntityManager: MikroORM's SQL EntityManager, in a transaction. */
export type SessionEntityManager = SqlEntityManager;

/**
 * A botdb database: the data API, sessions, and the pipeline plugins tap.
 * Rows cross the API as plain objects keyed by column name.
 */
export interface Database {
  readonly config: ResolvedConfig;
  readonly pipeline: Pipeline;
  /** The MikroORM instance (for metadata or tooling; use `session()` for units of work). */
  readonly orm: MikroORM;
  /** What schema sync did at start (tables, columns, indexes created; warnings); undefined with `syncSchema: false`. */
  readonly syncReport: SyncReport | undefined;

  get<E extends EntityRef>(entity: E, options: GetOptions & { single: true }): Promise<RowOf<E> | null>;
  get<E extends EntityRef>(entity: E, options?: GetOptions): Promise<RowOf<E>[]>;
  count(entity: EntityRef, filters?: FilterInput, options?: CallOptions): Promise<number>;
  create<E extends EntityRef>(entity: E, data: Partial<RowOf<E>>, options?: CallOptions): Promise<RowOf<E>>;
  createMany<E extends EntityRef>(entity: E, rows: readonly Partial<RowOf<E>>[], options?: CallOptions): Promise<RowOf<E>[]>;
  /** Updates every row matching `filters` (pass `{}` for all); returns how many. */
  update<E extends EntityRef>(entity: E, filters: FilterInput, data: UpdateOf<RowOf<E>>, options?: CallOptions): Promise<number>;
  /**
   * Runs several updates in one transaction, in order, and returns each one's count. Like
   * `db.transaction()`, it is not offered to plugins' write hooks (it is one transaction of
   * its own, or joins the open one). On PostgreSQL, updates that each select rows by one
   * equality on the same column, with distinct values, run as one locking SELECT plus one
   * `UPDATE ... FROM (VALUES ...)` per set of changed columns, instead of two statements each:
   * the batch plugin's flushes use it.
   */
  updateMany<E extends EntityRef>(entity: E, updates: readonly { readonly filters: FilterInput; readonly data: UpdateOf<RowOf<E>> }[], options?: CallOptions): Promise<number[]>;
  /** Deletes every row matching `filters` (pass `{}` for all); returns how many. */
  delete(entity: EntityRef, filters: FilterInput, options?: CallOptions): Promise<number>;
  /** Updates the first row whose `keyField` equals `keyValue`, else inserts `data`; returns the row. */
  save<E extends EntityRef>(entity: E, data: Partial<RowOf<E>>, options?: SaveOptions): Promise<RowOf<E>>;
  query(entity: EntityRef, options: QueryOptions): Promise<Row[] | Row | number | null>;
  /**
   * Runs `fn` with a fresh EntityManager in a transaction: commits when it returns, rolls back
   * when it throws. Data API calls made inside `fn` join the same transaction. Nested calls use
   * savepoints.
   */
  session<T>(fn: (em: SessionEntityManager) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one transaction of data API calls (no EntityManager): commits when it returns,
   * rolls back when it throws; `committed` fires once with every change. `fn` gets `tx`, this
   * database bound to the transaction: its data API calls run in it (using `tx` after `fn`
   * returned throws BOTDB_ERR_BAD_QUERY). Inside a session or another transaction, `fn` joins
   * it. Lighter than `session()`; on SQLite it runs on botdb's fast writer connection.
   */
  transaction<T>(fn: (tx: Database) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Every plugin's figures as JSON, by plugin name: hit rate (cache), batching rate (batch),
   * latency percentiles (monitoring), ... `{}` with no plugins.
   */
  stats(): Record<string, Readonly<Record<string, unknown>>>;
  /** Drains plugins, then closes the connections. Idempotent. */
  close(): Promise<void>;
}
