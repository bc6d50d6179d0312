import type { MikroORM } from '@mikro-orm/core';
import type { Knex, SqlEntityManager } from '@mikro-orm/knex';
import { resolveConfig, type BotDbConfig, type ResolvedConfig } from './config/config.js';
import { resolveEntity, type EntityDef, type EntityRef } from './entities/entities.js';
import { BotDbError } from './errors.js';
import { normalizeFilter, normalizeOrderBy, type Filter, type FilterInput, type OrderTerm } from './filters/filters.js';
import type { CommitContext, FailureEvent, ReadContext, ReadResult, RowChange, WriteContext, WriteResult } from './pipeline/hooks.js';
import { applyPlugins, Pipeline } from './pipeline/plugin.js';
import { decodeValue, encodeValue, type Row } from './schema/codec.js';
import type { ColumnDef } from './schema/types.js';
import { syncSchema, type SyncReport } from './schema/sync.js';
import { decodedKinds, rowBuilder, type RowBuilder } from './schema/row-builder.js';
import { checkIncrements, checkOptions, checkSave, isIncrement, prepareInsert, prepareLimit, prepareUpdate } from './api/rows.js';
import { StatementBuilder, type Statement } from './api/statements.js';
import type { CallOptions, Database, GetOptions, QueryOptions, SaveOptions, SessionEntityManager, TransactionOptions } from './api/types.js';
import { connect, sqlitePragmas } from './engine/connect.js';
import { SqliteReader } from './engine/reader.js';
import { PgReader } from './engine/pg-reader.js';
import { PgTransaction, PgWriter } from './engine/pg-writer.js';
import { isBusy } from './engine/busy.js';
import { isTransient } from './engine/transient.js';
import { Mutex, SqliteWriter } from './engine/writer.js';
import { bindTracker, ChangeTracker, type Scope } from './engine/tracking.js';

/** Where statements run: the pooled knex client, a knex transaction, or the SQLite fast writer. */
type Runner = Knex | Knex.Transaction | SqliteWriter | PgTransaction;

const NO_OPTIONS: CallOptions = Object.freeze({});
/** Backoff (ms) of the retries of a read that lost its connection. */
const READ_RETRIES = [50, 200, 500, 1000] as const;

/**
 * Opens a database: connects, syncs the schema, applies the plugins and runs their `init`.
 *
 * @example
 * const db = await createDatabase({ url: 'sqlite:data/bot.db' });
 * const stream = await db.get(ChatStreams, { filters: { stream_id }, single: true });
 */
export async function createDatabase(config?: BotDbConfig): Promise<Database> {
  const db = new BotDatabase(resolveConfig(config));
  await db.start();
  return db;
}

class BotDatabase implements Database {
  readonly pipeline: Pipeline;
  private ormInstance: MikroORM | undefined;
  private knex!: Knex;
  private readonly statements: StatementBuilder;
  private readonly tracker: ChangeTracker;
  /** Fast path for reads outside sessions (SQLite file with better-sqlite3), else undefined. */
  private reader: SqliteReader | undefined;
  /** Fast path for reads outside sessions on PostgreSQL (named prepared statements), else undefined. */
  private pgReader: PgReader | undefined;
  /** Fast path for data API transactions on PostgreSQL (own pool, direct BEGIN/COMMIT), else undefined. */
  private pgWriter: PgWriter | undefined;
  /** Fast path for data API transactions (SQLite file with better-sqlite3), else undefined. */
  private writer: SqliteWriter | undefined;
  /**
   * On SQLite with the fast writer, every in-process write transaction (the writer's, its
   * fallback's, a session's) holds this lock, so connections of this process never wait on each
   * other's SQLite locks.
   */
  private readonly writeLock = new Mutex();
  private readonly decodedColumns = new Map<EntityDef, readonly ColumnDef[]>();
  private readonly rowBuilders = new Map<EntityDef, RowBuilder>();
  private readonly preparedRows = new WeakSet<object>();
  syncReport: SyncReport | undefined;
  /** Set on a `tx` handle (an object whose prototype is the database): the transaction it is bound to. */
  private boundScope: Scope | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(readonly config: ResolvedConfig) {
    this.pipeline = new Pipeline(this);
    this.statements = new StatementBuilder(config.dialect, config.timeZone, config.dialect === 'postgresql' ? config.postgresql.schema : undefined);
    this.tracker = new ChangeTracker((changes) => this.publish(changes), config.timeZone, (changes) => this.prepareCommit(changes));
  }

  get orm(): MikroORM {
    if (!this.ormInstance) throw BotDbError.closed();
    return this.ormInstance;
  }

  async start(): Promise<void> {
    applyPlugins(this.pipeline, this.config.plugins);
    this.ormInstance = await connect(this.config, this.tracker, (sql, durationMs, failed) => {
      if (this.pipeline.hooks.query.taps.length > 0) this.pipeline.hooks.query.call({ sql, durationMs, source: 'mikro-orm', failed });
    });
    bindTracker(this.ormInstance.config, this.tracker);
    this.knex = (this.ormInstance.em as SqlEntityManager).getKnex();
    try {
      if (this.config.syncSchema) {
        this.syncReport = await syncSchema(this.knex, this.config.dialect, this.config.dialect === 'postgresql' ? this.config.postgresql.schema : undefined);
        for (const w of this.syncReport.warnings) this.config.warn(w);
      }
      if (this.config.dialect === 'sqlite' && this.config.sqlite.driver === 'better-sqlite3') {
        this.reader = await SqliteReader.open(this.config.url, this.config.sqlite.busyTimeoutMs);
        this.writer = await SqliteWriter.open(this.config.url, sqlitePragmas(this.config), this.config.sqlite.busyTimeoutMs);
      }
      if (this.config.dialect === 'postgresql') {
        // A few connections suffice: a read holds one for a fraction of a millisecond.
        const half = Math.max(2, Math.ceil(this.config.postgresql.poolSize / 2));
        this.pgReader = await PgReader.open(this.config.url, half, this.config.postgresql.statementTimeoutMs);
        this.pgWriter = await PgWriter.open(this.config.url, half, this.config.postgresql.statementTimeoutMs);
      }
      await this.pipeline.hooks.init.promise(this);
    } catch (e) {
      this.reader?.close();
      this.writer?.close();
      await this.pgReader?.close();
      await this.pgWriter?.close();
      await this.ormInstance.close(true);
      this.closed = true;
      throw e instanceof BotDbError ? e : new BotDbError('BOTDB_ERR_SCHEMA', `Schema sync failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  // ---- reads -------------------------------------------------------------------------------

  get<E extends EntityRef>(entity: E, options: GetOptions & { single: true }): Promise<never>;
  get<E extends EntityRef>(entity: E, options?: GetOptions): Promise<never[]>;
  get(entity: EntityRef, options: GetOptions = NO_OPTIONS): Promise<Row[] | Row | null> {
    let ctx: DbReadContext;
    try {
      this.assertOpen();
      checkOptions('get', options);
      const def = resolveEntity(entity);
      const single = options.single === true;
      ctx = new DbReadContext(this, def, 'get', normalizeFilter(def, options.filters), normalizeOrderBy(def, options.orderBy), single ? 1 : prepareLimit(options.limit), single, options);
    } catch (e) {
      this.failed('get', entity, e);
      return Promise.reject(e);
    }
    return this.answer(ctx, 'get') as Promise<Row[] | Row | null>;
  }

  count(entity: EntityRef, filters?: FilterInput, options: CallOptions = NO_OPTIONS): Promise<number> {
    let ctx: DbReadContext;
    try {
      this.assertOpen();
      checkOptions('count', options);
      const def = resolveEntity(entity);
      ctx = new DbReadContext(this, def, 'count', normalizeFilter(def, filters), normalizeOrderBy(def, undefined), undefined, false, options);
    } catch (e) {
      this.failed('count', entity, e);
      return Promise.reject(e);
    }
    return this.answer(ctx, 'count') as Promise<number>;
  }

  /**
   * Not async: a read the `lookup` hook answers (a cache hit) resolves with no promise but the
   * one returned; others take the full path. The try sits here, not in a wrapper: reads are the
   * hot path.
   */
  private answer(ctx: DbReadContext, op: 'get' | 'count'): Promise<Row[] | Row | null | number> {
    try {
      if (this.pipeline.hooks.lookup.taps.length > 0 && this.scope() === undefined) {
        const hit = this.lookup(ctx);
        if (hit !== undefined) return Promise.resolve(resultOf(ctx, hit));
      }
    } catch (e) {
      this.failed(op, ctx.entity.name, e);
      return Promise.reject(e);
    }
    return this.answerAsync(ctx, op);
  }

  private async answerAsync(ctx: DbReadContext, op: 'get' | 'count'): Promise<Row[] | Row | null | number> {
    try {
      return resultOf(ctx, await this.read(ctx));
    } catch (e) {
      this.failed(op, ctx.entity.name, e);
      throw e;
    }
  }

  /** A read the `lookup` hook answers synchronously (after `afterRead`), else undefined. */
  private lookup(ctx: ReadContext): readonly Row[] | number | undefined {
    const result = this.pipeline.hooks.lookup.call(ctx);
    if (result === undefined || result === null) return undefined;
    if (this.pipeline.hooks.afterRead.taps.length > 0) this.pipeline.hooks.afterRead.call(ctx, result);
    return result.value;
  }

  /** The database read behind `ReadContext.load()`. */
  async loadFromDb(ctx: ReadContext): Promise<readonly Row[] | number> {
    return this.reader ? this.readFast(this.reader, ctx) : this.readFrom(this.knex, ctx);
  }

  /** The transaction a call joins: the one a `tx` handle is bound to, or the ambient one. */
  private scope(): Scope | undefined {
    const bound = this.boundScope;
    if (bound === undefined) return this.tracker.current();
    if (bound.done) throw BotDbError.badQuery('This transaction handle was used after its transaction ended; use it only inside the function given to db.transaction().');
    return bound;
  }

  /** This database bound to `scope`: data API calls through it run in that transaction. */
  private boundTo(scope: Scope): Database {
    if (this.boundScope === scope) return this;
    const view = Object.create(this) as BotDatabase;
    view.boundScope = scope;
    return view;
  }

  private async read(ctx: ReadContext): Promise<readonly Row[] | number> {
    const scope = this.scope();
    // Inside a session the read sees the session's own uncommitted writes; plugins stay out.
    if (scope) {
      await scope.em?.flush();
      return this.readFrom(runnerOf(scope), ctx);
    }
    const hooks = this.pipeline.hooks;
    let result: ReadResult | undefined;
    if (hooks.read.taps.length > 0) result = await hooks.read.promise(ctx);
    if (result === undefined) result = { value: this.reader ? await this.readFast(this.reader, ctx) : await this.readFrom(this.knex, ctx), source: 'db' };
    if (hooks.afterRead.taps.length > 0) hooks.afterRead.call(ctx, result);
    return result.value;
  }

  /** A read on the SQLite reader: its value at once, or a promise when another process locks readers out. */
  private readFast(reader: SqliteReader, ctx: ReadContext): readonly Row[] | number | Promise<readonly Row[] | number> {
    const st = ctx.kind === 'count' ? this.statements.count(ctx.entity, ctx.filter) : this.statements.select(ctx.entity, ctx.filter, ctx.orderBy, ctx.limit);
    const start = this.pipeline.hooks.query.taps.length > 0 ? performance.now() : undefined;
    let rows: unknown[][];
    try {
      rows = reader.all(st.sql, st.params);
    } catch (e) {
      // Wait for the lock on a timer, not inside the driver, which would stall the event loop.
      if (isBusy(e)) {
        return reader.allWhenFree(st.sql, st.params).then(
          (r) => this.fastResult(ctx, st, start, r),
          (f: unknown) => {
            throw this.fastFailure(ctx, st, start, f);
          },
        );
      }
      throw this.fastFailure(ctx, st, start, e);
    }
    return this.fastResult(ctx, st, start, rows);
  }

  private fastResult(ctx: ReadContext, st: Statement, start: number | undefined, rows: unknown[][]): readonly Row[] | number {
    if (start !== undefined) this.reportQuery(st.sql, start, ctx.entity, false);
    return ctx.kind === 'count' ? Number(rows[0]?.[0] ?? 0) : this.buildRows(ctx.entity, rows);
  }

  private fastFailure(ctx: ReadContext, st: Statement, start: number | undefined, error: unknown): BotDbError {
    if (start !== undefined) this.reportQuery(st.sql, start, ctx.entity, true);
    return BotDbError.fromDriver(st.sql, error);
  }

  private async readPg(reader: PgReader, ctx: ReadContext): Promise<readonly Row[] | number> {
    const st = ctx.kind === 'count' ? this.statements.count(ctx.entity, ctx.filter) : this.statements.select(ctx.entity, ctx.filter, ctx.orderBy, ctx.limit);
    const observed = this.pipeline.hooks.query.taps.length > 0;
    const start = observed ? performance.now() : 0;
    let rows: Record<string, unknown>[];
    try {
      rows = await reader.all(st.sql, st.params);
    } catch (e) {
      if (observed) this.reportQuery(st.sql, start, ctx.entity, true);
      throw BotDbError.fromDriver(st.sql, e);
    }
    if (observed) this.reportQuery(st.sql, start, ctx.entity, false);
    return ctx.kind === 'count' ? Number(rows[0]?.n ?? 0) : this.decode(ctx.entity, rows);
  }

  /**
   * A read outside a transaction that failed because the connection went away (PostgreSQL
   * restarted, a pooled connection died) is retried, briefly: reads are idempotent, and the
   * pool replaces dead connections. Reads inside a transaction are not: it is gone with them.
   */
  private async readFrom(runner: Runner, ctx: ReadContext): Promise<readonly Row[] | number> {
    if (runner !== this.knex) return this.readOnce(runner, ctx);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.readOnce(runner, ctx);
      } catch (e) {
        if (attempt >= READ_RETRIES.length || !isTransient(e)) throw e;
        await new Promise((r) => setTimeout(r, READ_RETRIES[attempt]));
      }
    }
  }

  private async readOnce(runner: Runner, ctx: ReadContext): Promise<readonly Row[] | number> {
    if (runner === this.knex && this.pgReader) return this.readPg(this.pgReader, ctx);
    if (ctx.kind === 'count') {
      const rows = await this.run(runner, this.statements.count(ctx.entity, ctx.filter), ctx.entity);
      return Number(rows[0]?.n ?? 0);
    }
    return await this.rowsOf(ctx.entity, runner, this.statements.select(ctx.entity, ctx.filter, ctx.orderBy, ctx.limit));
  }

  // ---- writes ------------------------------------------------------------------------------

  async create(entity: EntityRef, data: Row, options: CallOptions = NO_OPTIONS): Promise<never> {
    const rows = await this.createMany(entity, [data], options);
    return rows[0] as never;
  }

  async createMany(entity: EntityRef, rows: readonly Row[], options: CallOptions = NO_OPTIONS): Promise<never[]> {
    try {
      return await this.createManyImpl(entity, rows, options);
    } catch (e) {
      this.failed('create', entity, e);
      throw e;
    }
  }

  private async createManyImpl(entity: EntityRef, rows: readonly Row[], options: CallOptions): Promise<never[]> {
    this.assertOpen();
    checkOptions('create', options);
    const def = resolveEntity(entity);
    if (!Array.isArray(rows)) throw BotDbError.badQuery(`createMany(${def.name}, rows) takes an array of rows.`);
    const now = new Date();
    // Rows this database prepared already (a plugin passing the write on) are frozen and
    // known: they skip a second validation.
    const prepared = Array.from(rows, (r) => (this.preparedRows.has(r) ? r : this.remember(prepareInsert(def, r, now, this.config.timeZone))));
    if (prepared.length === 0) return [];
    const res = await this.write({ db: this, entity: def, options, kind: 'create', rows: prepared }, async (tx, changes) => {
      const inserted = await this.insertRows(tx, def, prepared, changes);
      return { rows: inserted };
    });
    return (res.rows ?? []) as never[];
  }

  async update(entity: EntityRef, filters: FilterInput, data: Row, options: CallOptions = NO_OPTIONS): Promise<number> {
    try {
      return await this.updateImpl(entity, filters, data, options);
    } catch (e) {
      this.failed('update', entity, e);
      throw e;
    }
  }

  private async updateImpl(entity: EntityRef, filters: FilterInput, data: Row, options: CallOptions): Promise<number> {
    this.assertOpen();
    checkOptions('update', options);
    const def = resolveEntity(entity);
    const filter = this.requiredFilter(def, filters, 'update');
    const prepared = prepareUpdate(def, data);
    const res = await this.write({ db: this, entity: def, options, kind: 'update', filter, data: prepared }, async (tx, changes) => {
      const before = await this.rowsOf(def, tx, this.statements.select(def, filter, [], undefined, true));
      await this.updateRows(tx, def, before, prepared, changes);
      return { count: before.length };
    });
    return res.count ?? 0;
  }

  async updateMany(entity: EntityRef, updates: readonly { readonly filters: FilterInput; readonly data: Row }[], options: CallOptions = NO_OPTIONS): Promise<number[]> {
    try {
      this.assertOpen();
      checkOptions('updateMany', options);
      const def = resolveEntity(entity);
      if (!Array.isArray(updates)) throw BotDbError.badQuery(`updateMany(${def.name}, updates) takes an array of { filters, data }.`);
      const prepared = updates.map((u: unknown) => {
        if (typeof u !== 'object' || u === null || Array.isArray(u)) throw BotDbError.badQuery(`updateMany(${def.name}) takes { filters, data } objects.`);
        const { filters, data } = u as { filters?: unknown; data?: unknown };
        return { filter: this.requiredFilter(def, filters, 'updateMany'), data: prepareUpdate(def, data as Row) };
      });
      if (prepared.length === 0) return [];
      const scope = this.scope();
      if (scope) {
        await scope.em?.flush();
        return await this.updateEach(runnerOf(scope), def, prepared, scope.changes);
      }
      return await this.transaction((tx) => (tx as unknown as BotDatabase).updateManyHere(def, prepared), { ambient: false });
    } catch (e) {
      this.failed('update', entity, e);
      throw e;
    }
  }

  /** `updateMany` on the transaction this handle is bound to. */
  private updateManyHere(def: EntityDef, updates: readonly { readonly filter: Filter; readonly data: Row }[]): Promise<number[]> {
    const scope = this.scope()!;
    return this.updateEach(runnerOf(scope), def, updates, scope.changes);
  }

  /**
   * The updates of `updateMany`, on one transaction. On PostgreSQL, when every update selects
   * rows by an equality on one column (text or integer) with distinct values, their rows are
   * read with one locking SELECT and updated with one statement per set of changed columns.
   */
  private async updateEach(tx: Runner, def: EntityDef, updates: readonly { readonly filter: Filter; readonly data: Row }[], changes: RowChange[]): Promise<number[]> {
    const column = this.config.dialect === 'postgresql' && updates.length > 1 ? sharedKeyColumn(updates) : undefined;
    if (column === undefined) {
      const counts: number[] = [];
      for (const u of updates) {
        const before = await this.rowsOf(def, tx, this.statements.select(def, u.filter, [], undefined, true));
        await this.updateRows(tx, def, before, u.data, changes);
        counts.push(before.length);
      }
      return counts;
    }
    const keyOf = (v: unknown) => `${typeof v}:${String(v)}`;
    const filter = normalizeFilter(def, { [column]: { $in: updates.map((u) => u.filter[0]!.value) } });
    const before = await this.rowsOf(def, tx, this.statements.select(def, filter, [], undefined, true));
    const byKey = new Map<string, Row[]>();
    for (const b of before) {
      const k = keyOf(b[column]);
      const list = byKey.get(k);
      if (list) list.push(b);
      else byKey.set(k, [b]);
    }
    // Updates with the same changed columns (and increments) share a statement.
    const shapes = new Map<string, { key: unknown; data: Row }[]>();
    for (const u of updates) {
      const rows = byKey.get(keyOf(u.filter[0]!.value));
      if (!rows) continue;
      checkIncrements(def, rows, u.data);
      const shape = Object.keys(u.data)
        .map((c) => `${c}${isIncrement(u.data[c]) ? '+' : '='}`)
        .join(',');
      const list = shapes.get(shape);
      if (list) list.push({ key: u.filter[0]!.value, data: u.data });
      else shapes.set(shape, [{ key: u.filter[0]!.value, data: u.data }]);
    }
    const pk = def.primaryKey;
    const after = new Map<unknown, Row>();
    for (const items of shapes.values()) {
      for (const st of this.statements.updateByColumnValues(def, column, items)) for (const r of await this.rowsOf(def, tx, st)) after.set(r[pk], r);
    }
    for (const b of before) changes.push({ entity: def, kind: 'update', key: b[pk] as number, before: b, after: after.get(b[pk]) });
    return updates.map((u) => byKey.get(keyOf(u.filter[0]!.value))?.length ?? 0);
  }

  async delete(entity: EntityRef, filters: FilterInput, options: CallOptions = NO_OPTIONS): Promise<number> {
    try {
      return await this.deleteImpl(entity, filters, options);
    } catch (e) {
      this.failed('delete', entity, e);
      throw e;
    }
  }

  private async deleteImpl(entity: EntityRef, filters: FilterInput, options: CallOptions): Promise<number> {
    this.assertOpen();
    checkOptions('delete', options);
    const def = resolveEntity(entity);
    const filter = this.requiredFilter(def, filters, 'delete');
    const res = await this.write({ db: this, entity: def, options, kind: 'delete', filter }, async (tx, changes) => {
      const before = await this.rowsOf(def, tx, this.statements.select(def, filter, [], undefined, true));
      for (const st of this.statements.deleteByKeys(def, before.map((b) => b[def.primaryKey]))) await this.run(tx, st, def);
      for (const b of before) changes.push({ entity: def, kind: 'delete', key: b[def.primaryKey] as number, before: b });
      return { count: before.length };
    });
    return res.count ?? 0;
  }

  async save(entity: EntityRef, data: Row, options: SaveOptions = NO_OPTIONS): Promise<never> {
    try {
      return await this.saveImpl(entity, data, options);
    } catch (e) {
      this.failed('save', entity, e);
      throw e;
    }
  }

  private async saveImpl(entity: EntityRef, data: Row, options: SaveOptions): Promise<never> {
    this.assertOpen();
    const def = resolveEntity(entity);
    checkSave(def, data, options);
    const { keyField, keyValue } = options;
    const keyed = keyField !== undefined && keyValue !== undefined && keyValue !== null;
    if (keyed && !def.columns.has(keyField)) throw BotDbError.unknownField(def.table.table, keyField, def.columnNames);
    const filter = keyed ? normalizeFilter(def, { [keyField]: keyValue }) : [];
    // Keys and types are checked up front; whether the row is complete enough to insert only
    // matters when no row matched (then the check runs inside the transaction, which rolls back).
    const updateData = Object.keys(data).length > 0 ? prepareUpdate(def, data) : undefined;
    if (!keyed) prepareInsert(def, data, new Date(), this.config.timeZone);
    const ctx: WriteContext = { db: this, entity: def, options, kind: 'save', keyField: keyField ?? '', keyValue, data: updateData ?? {} };
    const res = await this.write(ctx, async (tx, changes) => {
      if (keyed) {
        const found = await this.rowsOf(def, tx, this.statements.select(def, filter, [], 1, true));
        if (found.length > 0) {
          if (!updateData) return { rows: found };
          return { rows: await this.updateRows(tx, def, found, updateData, changes) };
        }
      }
      return { rows: await this.insertRows(tx, def, [prepareInsert(def, data, new Date(), this.config.timeZone)], changes) };
    });
    return res.rows?.[0] as never;
  }

  async query(entity: EntityRef, options: QueryOptions): Promise<Row[] | Row | number | null> {
    if (typeof options !== 'object' || options === null) throw BotDbError.badQuery('query() takes an options object with a type.');
    const { type, data, filters } = options;
    switch (type) {
      case 'get':
        return this.get(entity, options);
      case 'count':
        return this.count(entity, filters, options);
      case 'create':
        if (data === undefined) throw BotDbError.badQuery('query({ type: "create" }) needs data.');
        return this.create(entity, data, options);
      case 'update':
        if (data === undefined) throw BotDbError.badQuery('query({ type: "update" }) needs data.');
        return this.update(entity, filters as FilterInput, data, options);
      case 'delete':
        // Like db.delete: no filters is a mistake, {} is "every row".
        return this.delete(entity, filters as FilterInput, options);
      default:
        throw BotDbError.badArgument('query type', 'get, create, update, delete or count', type);
    }
  }

  private remember(row: Row): Row {
    Object.freeze(row);
    this.preparedRows.add(row);
    return row;
  }

  private requiredFilter(def: EntityDef, filters: unknown, op: string): Filter {
    if (filters === undefined || filters === null) {
      throw BotDbError.badQuery(`${op}(${def.name}) needs filters; pass {} to ${op} every row.`);
    }
    return normalizeFilter(def, filters as FilterInput);
  }

  /**
   * Runs a write: on the open session's transaction if there is one; otherwise offered to the
   * `write` hook, then run in its own transaction whose changes are published after commit.
   */
  private async write(ctx: WriteContext, body: (tx: Runner, changes: RowChange[]) => Promise<WriteResult>): Promise<WriteResult> {
    const scope = this.scope();
    if (scope) {
      // Pending unit-of-work changes go first, so the write sees (and orders after) them.
      await scope.em?.flush();
      return body(runnerOf(scope), scope.changes);
    }
    const hooks = this.pipeline.hooks;
    if (hooks.write.taps.length > 0) {
      const taken = await hooks.write.promise(ctx);
      if (taken !== undefined) {
        if (hooks.afterWrite.taps.length > 0) hooks.afterWrite.call(ctx, { result: taken, source: 'plugin' });
        return taken;
      }
    }
    let result: WriteResult;
    try {
      result = await this.inTransaction((s) => body(runnerOf(s), s.changes), false);
    } catch (e) {
      throw BotDbError.fromDriver(`${ctx.kind} ${ctx.entity.table.table}`, e);
    }
    if (hooks.afterWrite.taps.length > 0) hooks.afterWrite.call(ctx, { result, source: 'db' });
    return result;
  }

  /** Reports a data API call that is about to reject. */
  private failed(operation: FailureEvent['operation'], entity: unknown, error: unknown): void {
    const hook = this.pipeline.hooks.failed;
    if (hook.taps.length === 0) return;
    let name: string | undefined;
    try {
      name = resolveEntity(entity).name;
    } catch {
      name = undefined;
    }
    hook.call({ operation, entity: name, error });
  }

  async transaction<T>(fn: (tx: Database) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    this.assertOpen();
    if (typeof fn !== 'function') throw BotDbError.badQuery('transaction() takes an async function (tx) => { ... }.');
    if (typeof options !== 'object' || options === null) throw BotDbError.badQuery('transaction(fn, options) takes an options object like { ambient: false }, or none.');
    // Inside a session or another transaction, data API calls already share it.
    const parent = this.scope();
    if (parent) return fn(this.boundTo(parent));
    await this.beforeTransaction('transaction', options);
    return this.inTransaction((scope) => fn(this.boundTo(scope)), options.ambient !== false);
  }

  /** Fires `beforeTransaction`: writes plugins hold that were issued before go first. */
  private async beforeTransaction(kind: 'session' | 'transaction', options: TransactionOptions | undefined): Promise<void> {
    const hook = this.pipeline.hooks.beforeTransaction;
    if (hook.taps.length > 0) await hook.promise({ db: this, kind, options });
  }

  /**
   * Runs `fn` in a new transaction and publishes its changes once, after the commit. With
   * `ambient`, data API calls made anywhere inside `fn` join it (AsyncLocalStorage); otherwise
   * only those given the scope. On SQLite the fast writer runs it when the database is not busy.
   */
  private async inTransaction<T>(fn: (scope: Scope) => Promise<T>, ambient: boolean): Promise<T> {
    const scope: Scope = { trx: undefined, em: undefined, changes: [] };
    // What `fn` throws reaches the caller as is; what BEGIN or COMMIT throws is the database's
    // and gets its code, as a statement's error does (a batch flush's callers see it too).
    let fnFailed = false;
    const run = () =>
      fn(scope).catch((e: unknown) => {
        fnFailed = true;
        throw e;
      });
    const body = ambient ? () => this.tracker.ambient(scope, run) : run;
    const release = this.writer ? await this.writeLock.acquire() : undefined;
    let result: T;
    try {
      if (this.writer) {
        // Another process holding the lock: begin/commit wait for it on a timer (a promise).
        const beginning = this.writer.begin();
        if (beginning) await beginning;
        scope.writer = this.writer;
        try {
          result = await body();
          this.prepareCommit(scope.changes);
          const committing = this.writer.commit();
          if (committing) await committing;
        } catch (e) {
          this.writer.rollback();
          throw e;
        }
      } else if (this.pgWriter) {
        const tx = await this.pgWriter.begin();
        scope.pg = tx;
        try {
          result = await body();
          this.prepareCommit(scope.changes);
        } catch (e) {
          await tx.rollback();
          throw e;
        }
        await tx.commit();
      } else {
        // No fast writer (in-memory database, or the sqlite3 driver, which waits off the event loop).
        result = await this.knex.transaction(async (trx) => {
          scope.trx = trx;
          const r = await body();
          this.prepareCommit(scope.changes);
          return r;
        });
      }
    } catch (e) {
      throw fnFailed ? e : BotDbError.fromDriver('BEGIN ... COMMIT', e);
    } finally {
      scope.done = true;
      release?.();
    }
    await this.publish(scope.changes);
    return result;
  }

  private async insertRows(tx: Runner, def: EntityDef, rows: readonly Row[], changes: RowChange[]): Promise<Row[]> {
    const pk = def.primaryKey;
    const restore = restoredColumns(def);
    const out: Row[] = [];
    if (tx instanceof SqliteWriter) {
      for (const st of this.statements.insertRows(def, rows)) out.push(this.insertedRow(def, st.row, this.runInsert(tx, st, def), restore));
    } else {
      for (const st of this.statements.insert(def, rows)) {
        const keys = (await this.run(tx, st, def)).map((r) => Number(r[pk]));
        // SQL leaves the order of RETURNING rows open; keys are allocated in VALUES order.
        keys.sort((a, b) => a - b);
        let k = 0;
        for (const row of st.rows) out.push(this.insertedRow(def, row, (row[pk] as number | undefined) ?? keys[k++]!, restore));
      }
    }
    for (const after of out) changes.push({ entity: def, kind: 'insert', key: after[pk] as number, after });
    return out;
  }

  /** The row as reading it back would give: its key, and naive DateTime text as a Date. */
  private insertedRow(def: EntityDef, row: Row, key: number, restore: readonly ColumnDef[]): Row {
    const pk = def.primaryKey;
    const zone = this.config.timeZone;
    const after: Row = { [pk]: row[pk] ?? key };
    for (const c of def.columnNames) if (c !== pk) after[c] = row[c];
    for (const c of restore) after[c.name] = decodeValue(c.kind, encodeValue(c.kind, after[c.name], this.config.dialect, zone), zone);
    return after;
  }

  /** One single-row INSERT on the SQLite writer; the new row's key. */
  private runInsert(writer: SqliteWriter, st: Statement & { readonly row: Row }, def: EntityDef): number {
    return this.observed(st, def, () => writer.insert(st.sql, st.params));
  }

  /** Runs a synchronous statement call: reported to the `query` hook, its failure coded. */
  private observed<T>(st: Statement, def: EntityDef, call: () => T): T {
    const start = this.pipeline.hooks.query.taps.length > 0 ? performance.now() : undefined;
    let result: T;
    try {
      result = call();
    } catch (e) {
      if (start !== undefined) this.reportQuery(st.sql, start, def, true);
      throw BotDbError.fromDriver(st.sql, e);
    }
    if (start !== undefined) this.reportQuery(st.sql, start, def, false);
    return result;
  }

  private async updateRows(tx: Runner, def: EntityDef, before: readonly Row[], data: Row, changes: RowChange[]): Promise<Row[]> {
    if (before.length === 0) return [];
    checkIncrements(def, before, data);
    const pk = def.primaryKey;
    const after: Row[] = [];
    for (const st of this.statements.updateByKeys(def, before.map((r) => r[pk]), data)) after.push(...(await this.rowsOf(def, tx, st)));
    const byKey = new Map(after.map((r) => [r[pk], r]));
    for (const b of before) changes.push({ entity: def, kind: 'update', key: b[pk] as number, before: b, after: byKey.get(b[pk]) });
    return before.map((b) => byKey.get(b[pk]) ?? b);
  }

  /** Fires `prepare` with the changes of a transaction about to commit. */
  private prepareCommit(changes: readonly RowChange[]): void {
    if (changes.length === 0 || this.pipeline.hooks.prepare.taps.length === 0) return;
    this.pipeline.hooks.prepare.call({ db: this, changes: Object.freeze([...changes]) });
  }

  /** Fires `committed` with the changes of one committed transaction. */
  private async publish(changes: readonly RowChange[]): Promise<void> {
    if (changes.length === 0 || this.pipeline.hooks.committed.taps.length === 0) return;
    const ctx: CommitContext = { db: this, changes: Object.freeze([...changes]) };
    await this.pipeline.hooks.committed.promise(ctx);
  }

  // ---- sessions ----------------------------------------------------------------------------

  async session<T>(fn: (em: SessionEntityManager) => Promise<T>): Promise<T> {
    this.assertOpen();
    if (typeof fn !== 'function') throw BotDbError.badQuery('session() takes an async function (em) => { ... }.');
    const parent = this.scope();
    if (!parent) await this.beforeTransaction('session', undefined);
    if (!parent && this.writer) {
      const release = await this.writeLock.acquire();
      try {
        // MikroORM's connection waits for another process's lock inside the driver; wait for
        // it on a timer first, so that it is (almost always) free when the session needs it.
        const free = this.writer.whenFree();
        if (free) await free;
        return await this.openSession(undefined, fn);
      } finally {
        release();
      }
    }
    return this.openSession(parent, fn);
  }

  private async openSession<T>(parent: Scope | undefined, fn: (em: SessionEntityManager) => Promise<T>): Promise<T> {
    if (parent && !parent.em) {
      // It would need a second transaction while this one holds the database (one connection
      // on SQLite): it could only deadlock.
      throw BotDbError.badQuery('db.session() cannot run inside db.transaction(). Open the session first and use the data API inside it, or use only the data API.');
    }
    const base = parent?.em ?? (this.orm.em.fork() as SqlEntityManager);
    // The scope wraps the whole transactional() call so that MikroORM's closing flush, which
    // runs after fn returns, is still recorded in this session.
    const scope: Scope = { trx: undefined, em: base, changes: [] };
    let result: T;
    try {
      result = await this.tracker.ambient(scope, () =>
        base.transactional(async (em) => {
          scope.trx = em.getTransactionContext() as object;
          scope.em = em;
          return fn(em);
        }),
      );
    } finally {
      scope.done = true;
    }
    if (parent) parent.changes.push(...scope.changes);
    else await this.publish(scope.changes);
    return result;
  }

  stats(): Record<string, Readonly<Record<string, unknown>>> {
    const out: Record<string, Readonly<Record<string, unknown>>> = {};
    for (const name of this.pipeline.exposed()) {
      const stats = this.pipeline.surface(name)?.stats;
      if (stats) out[name] = stats();
    }
    return out;
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private reportQuery(sql: string, start: number, entity: EntityDef | undefined, failed: boolean): void {
    this.pipeline.hooks.query.call({ sql, durationMs: performance.now() - start, source: 'botdb', entity: entity?.name, failed });
  }

  private async run(runner: Runner, st: Statement, entity?: EntityDef): Promise<Record<string, unknown>[]> {
    const observed = this.pipeline.hooks.query.taps.length > 0;
    const start = observed ? performance.now() : 0;
    let res: unknown;
    try {
      if (runner instanceof SqliteWriter) res = runner.all(st.sql, st.params);
      else if (runner instanceof PgTransaction) res = await runner.all(st.sql, st.params);
      else res = await runner.raw(st.sql, st.params as Knex.RawBinding[]);
    } catch (e) {
      if (observed) this.reportQuery(st.sql, start, entity, true);
      throw BotDbError.fromDriver(st.sql, e);
    }
    if (observed) this.reportQuery(st.sql, start, entity, false);
    return Array.isArray(res) ? (res as Record<string, unknown>[]) : ((res as { rows?: Record<string, unknown>[] }).rows ?? []);
  }

  /**
   * Runs a statement that returns rows of `def`'s columns in order (a SELECT, an UPDATE ...
   * RETURNING) and gives them as rows: on the SQLite writer built from value arrays (fast
   * objects, see row-builder.ts), elsewhere the driver's rows decoded.
   */
  private async rowsOf(def: EntityDef, runner: Runner, st: Statement): Promise<Row[]> {
    if (!(runner instanceof SqliteWriter)) return this.decode(def, await this.run(runner, st, def));
    return this.buildRows(def, this.observed(st, def, () => runner.values(st.sql, st.params)));
  }

  /** Rows from value arrays in `def.columnNames` order, with the entity's generated builder. */
  private buildRows(def: EntityDef, values: readonly unknown[][]): Row[] {
    let build = this.rowBuilders.get(def);
    if (build === undefined) {
      build = rowBuilder(def, this.config.dialect, this.config.timeZone);
      this.rowBuilders.set(def, build);
    }
    const out: Row[] = new Array<Row>(values.length);
    for (let i = 0; i < values.length; i++) out[i] = build(values[i]!);
    return out;
  }

  /**
   * Converts driver rows to JS values in place: the rows are fresh objects the driver made for
   * this call, keyed by the explicit column list, and most columns need no conversion.
   */
  private decode(def: EntityDef, raw: Record<string, unknown>[]): Row[] {
    const zone = this.config.timeZone;
    let cols = this.decodedColumns.get(def);
    if (cols === undefined) {
      cols = decodedColumns(def, this.config.dialect);
      this.decodedColumns.set(def, cols);
    }
    if (cols.length === 0) return raw;
    for (const r of raw) for (const c of cols) r[c.name] = decodeValue(c.kind, r[c.name], zone);
    return raw;
  }

  private assertOpen(): void {
    if (this.closed) throw BotDbError.closed();
  }

  close(): Promise<void> {
    if (this.boundScope) return Promise.reject(BotDbError.badQuery('close() is not available on a transaction handle; close the database itself.'));
    if (this.closing) return this.closing;
    this.closing = (async () => {
      try {
        if (!this.closed) await this.pipeline.hooks.close.promise(this);
      } finally {
        this.closed = true;
        this.reader?.close();
        this.writer?.close();
        await this.pgReader?.close().catch(() => undefined);
        await this.pgWriter?.close().catch(() => undefined);
        await this.ormInstance?.close(true);
      }
    })();
    return this.closing;
  }
}

/**
 * The column every update selects its rows by, when each filter is one equality on that same
 * text or integer column with a distinct value and changes at least one column; else undefined.
 */
function sharedKeyColumn(updates: readonly { readonly filter: Filter; readonly data: Row }[]): string | undefined {
  const first = updates[0]!.filter[0];
  if (first === undefined) return undefined;
  const column = first.column;
  if (column.kind !== 'text' && column.kind !== 'integer') return undefined;
  const seen = new Set<unknown>();
  for (const u of updates) {
    const c = u.filter[0];
    if (u.filter.length !== 1 || c!.op !== 'eq' || c!.column !== column || seen.has(c!.value) || Object.keys(u.data).length === 0) return undefined;
    seen.add(c!.value);
  }
  return column.name;
}

/** The columns whose driver values differ from their JS form on a dialect. */
function decodedColumns(def: EntityDef, dialect: 'sqlite' | 'postgresql'): readonly ColumnDef[] {
  const kinds = decodedKinds(dialect);
  return def.table.columns.filter((c) => kinds.includes(c.kind));
}

/** A read's context; a class rather than a literal so that `load` is a shared method, not a closure per read. */
class DbReadContext implements ReadContext {
  constructor(
    readonly db: BotDatabase,
    readonly entity: EntityDef,
    readonly kind: 'get' | 'count',
    readonly filter: Filter,
    readonly orderBy: readonly OrderTerm[],
    readonly limit: number | undefined,
    readonly single: boolean,
    readonly options: CallOptions,
  ) {}

  load(limit?: number): Promise<readonly Row[] | number> {
    if (limit === undefined || limit === this.limit || this.kind === 'count') return this.db.loadFromDb(this);
    // A plugin may read past the largest limit a caller may ask for (a cache's slack rows).
    return this.db.loadFromDb(new DbReadContext(this.db, this.entity, this.kind, this.filter, this.orderBy, prepareLimit(limit, Number.MAX_SAFE_INTEGER), this.single, this.options));
  }
}

/** What a read returns: a count, or for `get` the first row or null (`single`) or the list. */
function resultOf(ctx: ReadContext, value: readonly Row[] | number): Row[] | Row | null | number {
  if (typeof value === 'number') return value;
  return ctx.single ? (value[0] ?? null) : (value as Row[]);
}

function runnerOf(scope: Scope): Runner {
  return scope.writer ?? scope.pg ?? (scope.trx as Knex.Transaction);
}

/** Columns whose inserted JS value may differ from what reading it back gives. */
function restoredColumns(def: EntityDef): readonly ColumnDef[] {
  return def.table.columns.filter((c) => c.kind === 'datetime' || c.kind === 'bigint');
}
