/**
 * Sees every row change a unit of work makes, so that `committed` fires once per committed
 * transaction with all of them, and never on rollback.
 *
 * - Data API writes, `db.transaction()` and `db.session()` run in a scope whose changes are
 *   published when the outermost one commits. Sessions and ambient transactions find their
 *   scope through AsyncLocalStorage; a data API write and a `tx` handle carry it explicitly.
 * - `em.flush()` change sets arrive through a MikroORM event subscriber (`afterFlush`).
 * - `nativeInsert/insert/insertMany/nativeUpdate/nativeDelete/upsert/upsertMany` and
 *   QueryBuilder writes go through `BotDbEntityManager`, configured as MikroORM's
 *   `entityManager` option.
 * - A flush in a transaction that botdb did not open (`em.transactional()` directly) is held
 *   until that transaction's root commits (MikroORM's transaction events).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  AnyEntity,
  ChangeSet,
  Configuration,
  ConnectionType,
  DeleteOptions,
  EntityData,
  EntityName,
  EventSubscriber,
  FilterQuery,
  FlushEventArgs,
  LoggingOptions,
  NativeInsertUpdateOptions,
  Primary,
  RequiredEntityData,
  TransactionEventArgs,
  TransactionOptions,
  UpdateOptions,
  UpsertManyOptions,
  UpsertOptions,
} from '@mikro-orm/core';
import { TransactionPropagation } from '@mikro-orm/core';
import { SqlEntityManager, type QueryBuilder } from '@mikro-orm/knex';
import type { EntityDef } from '../entities/entities.js';
import { resolveEntity } from '../entities/entities.js';
import type { RowChange } from '../pipeline/hooks.js';
import { decodeValue, type Row } from '../schema/codec.js';
import type { TimeZoneMode } from '../schema/datetime.js';
import type { SqliteWriter } from './writer.js';
import type { PgTransaction } from './pg-writer.js';

/**
 * An open botdb transaction and the changes so far: a knex transaction (`trx`, with the
 * session's EntityManager `em` when there is one), or the SQLite fast writer (`writer`).
 */
export interface Scope {
  trx: object | undefined;
  em: SqlEntityManager | undefined;
  writer?: SqliteWriter;
  /** PostgreSQL: the data API transaction on botdb's own connection. */
  pg?: PgTransaction;
  readonly changes: RowChange[];
  /** Set once the transaction has ended: a `tx` handle used later must not reach it. */
  done?: boolean;
}

/** How long botdb's AsyncLocalStorage stays on after the last ambient scope ended. */
const AMBIENT_IDLE_MS = 1000;

/** Collects row changes for one Database and publishes them once they are committed. */
export class ChangeTracker implements EventSubscriber {
  private readonly als = new AsyncLocalStorage<Scope>();
  private readonly foreign = new WeakMap<object, RowChange[]>();
  /** Ambient scopes running now; the storage is switched off a while after the last ends. */
  private running = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publish: (changes: readonly RowChange[]) => Promise<void>,
    readonly zone: TimeZoneMode,
    private readonly prepare: (changes: readonly RowChange[]) => void,
  ) {}

  /** The ambient scope of the running code (a session, an ambient transaction), if any. */
  current(): Scope | undefined {
    return this.als.getStore();
  }

  /**
   * Runs `fn` with `scope` as the ambient scope of everything it calls. AsyncLocalStorage turns
   * on Node's promise hooks, which cost every promise of the process about 0.2 µs; botdb's own
   * storage is switched off again once no ambient scope has run for a second (MikroORM's unit
   * of work has storages of its own that stay on once used).
   */
  async ambient<T>(scope: Scope, fn: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await this.als.run(scope, fn);
    } finally {
      if (--this.running === 0 && this.idleTimer === undefined) {
        this.idleTimer = setTimeout(() => {
          this.idleTimer = undefined;
          if (this.running === 0) this.als.disable();
        }, AMBIENT_IDLE_MS);
        this.idleTimer.unref();
      }
    }
  }

  /** Records changes made through `em`: into the open scope, the foreign transaction, or publishes now. */
  async record(em: SqlEntityManager, changes: readonly RowChange[]): Promise<void> {
    if (changes.length === 0) return;
    const scope = this.current();
    if (scope) {
      scope.changes.push(...changes);
      return;
    }
    const trx = em.getTransactionContext() as object | undefined;
    if (trx) {
      const root = rootTransaction(trx);
      const pending = this.foreign.get(root);
      if (pending) pending.push(...changes);
      else this.foreign.set(root, [...changes]);
      return;
    }
    // No transaction: the statement autocommitted before we got here.
    await this.publish(changes);
  }

  /** Publishes the changes of a transaction that has just committed. */
  async committed(changes: readonly RowChange[]): Promise<void> {
    if (changes.length > 0) await this.publish(changes);
  }

  async afterFlush(args: FlushEventArgs): Promise<void> {
    const changes: RowChange[] = [];
    for (const cs of args.uow.getChangeSets()) {
      const change = this.fromChangeSet(cs);
      if (change) changes.push(change);
    }
    await this.record(args.em as SqlEntityManager, changes);
  }

  /** The root transaction is about to commit: announce what it changes. */
  beforeTransactionCommit(args: TransactionEventArgs): void {
    const scope = this.current();
    if (scope) {
      this.prepare(scope.changes);
      return;
    }
    const pending = args.transaction ? this.foreign.get(args.transaction as object) : undefined;
    if (pending) this.prepare(pending);
  }

  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    const trx = args.transaction as object | undefined;
    const pending = trx ? this.foreign.get(trx) : undefined;
    if (!trx || !pending) return;
    this.foreign.delete(trx);
    await this.publish(pending);
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (args.transaction) this.foreign.delete(args.transaction as object);
  }

  /** Converts a managed entity (or entity data) of a botdb entity to a row of JS values. */
  toRow(def: EntityDef, data: Record<string, unknown>): Row {
    const row: Row = {};
    for (const col of def.table.columns) row[col.name] = decodeValue(col.kind, data[col.name], this.zone);
    return row;
  }

  private fromChangeSet(cs: ChangeSet<AnyEntity>): RowChange | undefined {
    const def = tryEntity(cs.meta.className);
    if (!def) return undefined;
    const entity = cs.entity as Record<string, unknown>;
    const key = entity[def.primaryKey] as number | undefined;
    const before = cs.originalEntity ? this.toRow(def, cs.originalEntity as Record<string, unknown>) : undefined;
    switch (cs.type) {
      case 'create':
        return { entity: def, kind: 'insert', key, after: this.toRow(def, entity) };
      case 'update':
      case 'update_early':
        return { entity: def, kind: 'update', key, before, after: this.toRow(def, entity) };
      default:
        return { entity: def, kind: 'delete', key, before: before ?? this.toRow(def, entity) };
    }
  }
}

/** The botdb entity behind a MikroORM entity name, or undefined for the user's own entities. */
export function tryEntity(name: unknown): EntityDef | undefined {
  try {
    return resolveEntity(typeof name === 'object' && name !== null && 'name' in name ? (name as { name: unknown }).name : name);
  } catch {
    return undefined;
  }
}

// MikroORM links a nested (savepoint) transaction to its parent under a private symbol; its
// transaction events fire for the root only, so changes are held under the root.
function rootTransaction(trx: object): object {
  let current = trx as Record<symbol, unknown>;
  for (let depth = 0; depth < 64; depth++) {
    const sym = Object.getOwnPropertySymbols(current).find((s) => s.description === 'parentTransaction');
    const parent = sym ? current[sym] : undefined;
    if (typeof parent !== 'object' && typeof parent !== 'function') return current;
    current = parent as Record<symbol, unknown>;
  }
  return current;
}

// One tracker per MikroORM configuration: each Database has its own ORM and configuration.
const TRACKERS = new WeakMap<Configuration, ChangeTracker>();

/** Binds a tracker to an ORM configuration, for `BotDbEntityManager` to find. */
export function bindTracker(config: Configuration, tracker: ChangeTracker): void {
  TRACKERS.set(config, tracker);
}

/**
 * MikroORM's SQL EntityManager, reporting writes that bypass the unit of work. Configured as
 * the ORM's `entityManager`; every fork is one, so a session's `em` is too.
 */
export class BotDbEntityManager extends SqlEntityManager {
  private tracked(name: unknown): { def: EntityDef; tracker: ChangeTracker } | undefined {
    const tracker = TRACKERS.get(this.config);
    const def = tracker ? tryEntity(name) : undefined;
    return def && tracker ? { def, tracker } : undefined;
  }

  private async rowsWhere(def: EntityDef, tracker: ChangeTracker, where: unknown): Promise<Row[]> {
    const found = await this.find(def.name, where as FilterQuery<object>, { disableIdentityMap: true });
    return found.map((e) => tracker.toRow(def, e as Record<string, unknown>));
  }

  private async rowsByKeys(def: EntityDef, tracker: ChangeTracker, keys: readonly unknown[]): Promise<Row[]> {
    if (keys.length === 0) return [];
    return this.rowsWhere(def, tracker, { [def.primaryKey]: { $in: keys } });
  }

  private async inserted(name: unknown, keys: readonly unknown[]): Promise<void> {
    const t = this.tracked(name);
    if (!t) return;
    const rows = await this.rowsByKeys(t.def, t.tracker, keys);
    await t.tracker.record(this as unknown as SqlEntityManager, rows.map((after) => ({ entity: t.def, kind: 'insert', key: after[t.def.primaryKey] as number, after })));
  }

  private async bulk(name: unknown): Promise<void> {
    const t = this.tracked(name);
    if (t) await t.tracker.record(this as unknown as SqlEntityManager, [{ entity: t.def, kind: 'bulk' }]);
  }

  /**
   * A transaction or savepoint opened with `em.transactional()` gets its own scope: its changes
   * join the enclosing transaction only if it commits (a savepoint that rolls back drops them),
   * and data API calls inside it run on it. MikroORM fires transaction events for root
   * transactions only, so savepoints cannot be followed any other way.
   */
  override async transactional<T>(cb: (em: this) => T | Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const tracker = TRACKERS.get(this.config);
    const propagation = options.propagation ?? TransactionPropagation.NESTED;
    const outer = this.getContext(false).getTransactionContext() as object | undefined;
    // REQUIRED and friends join an existing transaction as is; NOT_SUPPORTED/NEVER open none.
    const opens =
      propagation === TransactionPropagation.NESTED ||
      propagation === TransactionPropagation.REQUIRES_NEW ||
      (propagation === TransactionPropagation.REQUIRED && outer === undefined);
    if (!tracker || !opens || this.getContext(false)['disableTransactions']) return super.transactional(cb, options);
    const scope: Scope = { trx: outer, em: this as unknown as SqlEntityManager, changes: [] };
    const result = await tracker.ambient(scope, () =>
      super.transactional(async (em) => {
        scope.trx = (em.getTransactionContext() as object | undefined) ?? scope.trx;
        scope.em = em as unknown as SqlEntityManager;
        return cb(em);
      }, options),
    );
    // A root transaction (or REQUIRES_NEW) has committed; a savepoint hands its changes to
    // whatever encloses it: a botdb scope, a foreign transaction, or nothing (publish).
    if (outer === undefined || propagation === TransactionPropagation.REQUIRES_NEW) await tracker.committed(scope.changes);
    else await tracker.record(this as unknown as SqlEntityManager, scope.changes);
    return result;
  }

  override async insert<Entity extends object>(
    entityNameOrEntity: EntityName<Entity> | Entity,
    data?: RequiredEntityData<Entity> | Entity,
    options?: NativeInsertUpdateOptions<Entity>,
  ): Promise<Primary<Entity>> {
    const key = await super.insert(entityNameOrEntity, data, options);
    await this.inserted(nameOf(entityNameOrEntity), [key]);
    return key;
  }

  // @ts-expect-error: the signature is MikroORM's own, verbatim; TypeScript fails to relate the
  // generic RequiredEntityData<Entity> of the two declarations.
  override async insertMany<Entity extends object>(
    entityNameOrEntities: EntityName<Entity> | Entity[],
    data?: RequiredEntityData<Entity>[] | Entity[],
    options?: NativeInsertUpdateOptions<Entity>,
  ): Promise<Primary<Entity>[]> {
    // MikroORM's own overload resolution trips over this generic; the call is the same.
    const base = super.insertMany.bind(this) as (a: unknown, b: unknown, c: unknown) => Promise<Primary<Entity>[]>;
    const keys = await base(entityNameOrEntities, data, options);
    const name = nameOf(Array.isArray(entityNameOrEntities) ? entityNameOrEntities[0] : entityNameOrEntities);
    const count = Array.isArray(data) ? data.length : Array.isArray(entityNameOrEntities) ? entityNameOrEntities.length : keys.length;
    // For plain data rows MikroORM 6 returns only the last inserted key: which rows were
    // inserted is then unknown, so the change is reported as bulk rather than half-missed.
    if (keys.length === count) await this.inserted(name, keys);
    else await this.bulk(name);
    return keys;
  }

  override async nativeUpdate<Entity extends object>(
    entityName: EntityName<Entity>,
    where: FilterQuery<NoInfer<Entity>>,
    data: EntityData<Entity>,
    options?: UpdateOptions<Entity>,
  ): Promise<number> {
    const t = this.tracked(nameOf(entityName));
    if (!t) return super.nativeUpdate(entityName, where, data, options);
    const before = await this.rowsWhere(t.def, t.tracker, where);
    const count = await super.nativeUpdate(entityName, where, data, options);
    const pk = t.def.primaryKey;
    const after = await this.rowsByKeys(t.def, t.tracker, before.map((r) => r[pk]));
    const byKey = new Map(after.map((r) => [r[pk], r]));
    await t.tracker.record(this as unknown as SqlEntityManager, before.map((b) => ({ entity: t.def, kind: 'update', key: b[pk] as number, before: b, after: byKey.get(b[pk]) })));
    return count;
  }

  override async nativeDelete<Entity extends object>(
    entityName: EntityName<Entity>,
    where: FilterQuery<NoInfer<Entity>>,
    options?: DeleteOptions<Entity>,
  ): Promise<number> {
    const t = this.tracked(nameOf(entityName));
    if (!t) return super.nativeDelete(entityName, where, options);
    const before = await this.rowsWhere(t.def, t.tracker, where);
    const count = await super.nativeDelete(entityName, where, options);
    await t.tracker.record(this as unknown as SqlEntityManager, before.map((b) => ({ entity: t.def, kind: 'delete', key: b[t.def.primaryKey] as number, before: b })));
    return count;
  }

  override async upsert<Entity extends object, Fields extends string = any>( // eslint-disable-line @typescript-eslint/no-explicit-any
    entityNameOrEntity: EntityName<Entity> | Entity,
    data?: EntityData<Entity> | NoInfer<Entity>,
    options?: UpsertOptions<Entity, Fields>,
  ): Promise<Entity> {
    const res = await super.upsert(entityNameOrEntity, data, options);
    await this.bulk(nameOf(entityNameOrEntity));
    return res;
  }

  override async upsertMany<Entity extends object, Fields extends string = any>( // eslint-disable-line @typescript-eslint/no-explicit-any
    entityNameOrEntity: EntityName<Entity> | Entity[],
    data?: (EntityData<Entity> | NoInfer<Entity>)[],
    options?: UpsertManyOptions<Entity, Fields>,
  ): Promise<Entity[]> {
    const res = await super.upsertMany(entityNameOrEntity, data, options);
    await this.bulk(nameOf(Array.isArray(entityNameOrEntity) ? entityNameOrEntity[0] : entityNameOrEntity));
    return res;
  }

  override createQueryBuilder<Entity extends object, RootAlias extends string = never>(
    entityName: EntityName<Entity> | QueryBuilder<Entity>,
    alias?: RootAlias,
    type?: ConnectionType,
    loggerContext?: LoggingOptions,
  ): QueryBuilder<Entity, RootAlias> {
    const qb = super.createQueryBuilder(entityName, alias, type, loggerContext);
    const name = nameOf(entityName);
    if (!this.tracked(name)) return qb;
    // Wrap this one builder's execute (an own property of an object we just made): a write
    // through it reports a bulk change, since its WHERE can be anything SQL can say.
    const execute = qb.execute.bind(qb) as (...a: unknown[]) => Promise<unknown>;
    const wrapped = async (...a: unknown[]) => {
      const res = await execute(...a);
      if (['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'UPSERT'].includes(String(qb.type))) await this.bulk(name);
      return res;
    };
    Object.defineProperty(qb, 'execute', { value: wrapped, configurable: true, writable: true });
    return qb;
  }
}

function nameOf(entityOrName: unknown): unknown {
  if (typeof entityOrName === 'string') return entityOrName;
  if (typeof entityOrName === 'object' && entityOrName !== null) {
    const meta = (entityOrName as { meta?: { className?: string } }).meta;
    if (meta?.className) return meta.className; // an EntitySchema
    const ctorName = (entityOrName as { constructor?: { name?: string } }).constructor?.name;
    return (entityOrName as { __meta?: { className?: string } }).__meta?.className ?? ctorName;
  }
  if (typeof entityOrName === 'function') return (entityOrName as { name: string }).name;
  return entityOrName;
}
