import { SyncHook } from 'tapable';
import {
  matchesFilter,
  resolveEntity,
  Stage,
  type BotDbPlugin,
  type CommitContext,
  type Database,
  type Pipeline,
  type ReadContext,
  type ReadResult,
  type Row,
  type RowChange,
  type TimeZoneMode,
} from '@botdb/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { BloomFilter } from './bloom.js';
import { InvalidationBus, type WireChange } from './bus.js';
import { ChangeLog } from './changelog.js';
import { readKey, valueKey } from './keys.js';
import { indexOf, L1Store, type Entry, type Mode, type Phase } from './l1.js';
import { L2Store } from './l2.js';
import { resolveCacheOptions, type CachePluginOptions, type ResolvedCacheOptions } from './options.js';

const PLUGIN_NAME = 'CachePlugin';
const EMPTY: readonly Row[] = Object.freeze([]);
const NOTHING = Promise.resolve(undefined);
/** Longest read key cached (UTF-16 units); a read with a longer key (a huge `$in`) is never cached. */
const MAX_KEY_LENGTH = 16_384;
/** Most changes the fill-race log keeps per entity between its time-based prunes. */
const LOG_MAX_PER_ENTITY = 10_000;

/** Events the cache reports, for monitoring. */
export type CacheHooks = {
  readonly hit: SyncHook<[{ entity: string; level: 'l1' | 'l2' | 'bloom' }]>;
  readonly miss: SyncHook<[{ entity: string }]>;
  readonly invalidate: SyncHook<[{ entity: string; count: number }]>;
};

/** `cache.stats()`. */
export interface CacheStats {
  hitsL1: number;
  hitsL2: number;
  misses: number;
  /** Reads answered without the database, over all reads the cache saw. */
  hitRate: number;
  negativeHits: number;
  bloomRejections: number;
  singleFlightJoins: number;
  evictions: number;
  invalidations: number;
  patches: number;
  entriesL1: number;
  bytesL1: number;
  /** Changes the fill-race log holds (bounded by time and by count). */
  changeLogSize: number;
  l2Errors: number;
  busErrors: number;
  /** True while the invalidation bus is down: every read goes to the database, nothing is cached. */
  degraded: boolean;
  /** Times the bus came back after being down; each time the cache dropped what it held. */
  busGaps: number;
}

interface Flight {
  readonly entity: string;
  readonly filter: ReadContext['filter'];
  readonly promise: Promise<ReadResult>;
}

const HOOKS = new WeakMap<Database, CacheHooks>();
const STATS = new WeakMap<Database, () => CacheStats>();

function freezeValue(value: readonly Row[] | number): readonly Row[] | number {
  if (typeof value === 'number') return value;
  for (const row of value) Object.freeze(row);
  return Object.freeze(value);
}

/** How a read's cached answer follows committed changes (see `Mode`). */
function modeOf(ctx: ReadContext): Mode {
  if (ctx.kind === 'count') return 'count';
  if (ctx.orderBy.length > 0) return 'list';
  return ctx.single ? 'patch' : 'drop';
}

function isEmpty(value: readonly Row[] | number): boolean {
  return typeof value === 'number' ? value === 0 : value.length === 0;
}

/**
 * The two-level cache: answers reads from an in-process LRU (and optionally a shared keyv L2),
 * and drops exactly the cached reads each committed change can affect.
 *
 * @example
 * const db = await createDatabase({ plugins: [new CachePlugin({ ttlMs: 60_000 })] });
 */
export class CachePlugin implements BotDbPlugin {
  readonly name = PLUGIN_NAME;
  readonly options: ResolvedCacheOptions;
  readonly hooks: CacheHooks = Object.freeze({
    hit: new SyncHook<[{ entity: string; level: 'l1' | 'l2' | 'bloom' }]>(['event']),
    miss: new SyncHook<[{ entity: string }]>(['event']),
    invalidate: new SyncHook<[{ entity: string; count: number }]>(['event']),
  });

  private db: Database | undefined;
  private zone: TimeZoneMode = 'local';
  private l1!: L1Store;
  private l2: L2Store | undefined;
  private bus: InvalidationBus | undefined;
  private log!: ChangeLog;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly inflight = new Map<string, Flight>();
  private readonly blooms = new Map<string, Map<string, BloomFilter>>();
  private bloomReady = false;
  private readonly allowed = new Map<string, boolean>();
  private pendingBump: Promise<void> | undefined;
  // The bus is down: the other processes' writes are not heard, so nothing is cached.
  private degraded = false;
  // Bumped by every gap and every Bloom rebuild: work begun before one does not finish after it.
  private epoch = 0;
  private readonly counts = { hitsL1: 0, misses: 0, negativeHits: 0, bloomRejections: 0, singleFlightJoins: 0, evictions: 0, invalidations: 0, patches: 0 };

  constructor(options?: CachePluginOptions) {
    this.options = resolveCacheOptions(options);
  }

  /** The cache's own hooks for a database that uses it (monitoring taps them). */
  static getHooks(db: Database): CacheHooks | undefined {
    return HOOKS.get(db);
  }

  /** The cache's figures for a database that uses it. */
  static getStats(db: Database): CacheStats | undefined {
    return STATS.get(db)?.();
  }

  apply(pipeline: Pipeline): void {
    const { hooks } = pipeline;
    const db = pipeline.db;
    this.db = db;
    this.zone = db.config.timeZone;
    this.log = new ChangeLog({ keepMs: this.options.changeLogMs, maxPerEntity: LOG_MAX_PER_ENTITY, zone: this.zone });
    this.l1 = new L1Store({ maxEntries: this.options.maxEntries, maxBytes: this.options.maxBytes, zone: this.zone, onEvict: () => this.counts.evictions++ });
    if (this.options.l2) this.l2 = new L2Store(this.options.l2, (entity, negative) => this.ttlFor(entity, negative), this.options.l2TimeoutMs);
    HOOKS.set(db, this.hooks);
    STATS.set(db, () => this.stats());
    pipeline.expose(PLUGIN_NAME, { hooks: this.hooks, stats: () => ({ ...this.stats() }) });

    hooks.init.tapPromise({ name: PLUGIN_NAME, stage: Stage.CACHE }, () => this.init());
    hooks.lookup.tap({ name: PLUGIN_NAME, stage: Stage.CACHE }, (ctx) => this.lookup(ctx));
    hooks.read.tapPromise({ name: PLUGIN_NAME, stage: Stage.CACHE }, (ctx) => this.read(ctx));
    hooks.prepare.tap({ name: PLUGIN_NAME, stage: Stage.CACHE }, (ctx) => this.prepare(ctx));
    hooks.committed.tapPromise({ name: PLUGIN_NAME, stage: Stage.CACHE }, (ctx) => this.committed(ctx));
    hooks.close.tapPromise({ name: PLUGIN_NAME, stage: Stage.CACHE }, () => this.close());
  }

  /** Hit, miss, eviction and invalidation counts, and L1 size. */
  stats(): CacheStats {
    const c = this.counts;
    const hitsL2 = this.l2?.hits ?? 0;
    const answered = c.hitsL1 + hitsL2 + c.bloomRejections + c.singleFlightJoins;
    const total = answered + c.misses;
    return {
      ...c,
      hitsL2,
      hitRate: total === 0 ? 0 : answered / total,
      entriesL1: this.l1?.size ?? 0,
      bytesL1: this.l1?.calculatedSize ?? 0,
      changeLogSize: this.log?.size ?? 0,
      l2Errors: this.l2?.errors ?? 0,
      busErrors: this.bus?.errors ?? 0,
      degraded: this.degraded,
      busGaps: this.bus?.gaps ?? 0,
    };
  }

  /**
   * Drops every entry this process holds in L1 (all entities, or one), e.g. after the database
   * was changed behind botdb's back. L2 and other processes are not touched.
   */
  clear(entity?: string): void {
    if (entity === undefined) this.l1?.clear();
    else this.l1?.dropAll(resolveEntity(entity).name);
    this.inflight.clear();
  }

  private isCached(entity: string): boolean {
    let ok = this.allowed.get(entity);
    if (ok === undefined) {
      ok = (this.options.include === undefined || this.options.include.includes(entity)) && !this.options.exclude.includes(entity);
      this.allowed.set(entity, ok);
    }
    return ok;
  }

  private ttlFor(entity: string, negative: boolean): number {
    return negative ? this.options.negativeTtlMs : (this.options.ttlByEntity[entity] ?? this.options.ttlMs);
  }

  private async init(): Promise<void> {
    // The log forgets by time on its own, also while nothing is written.
    this.pruneTimer = setInterval(() => this.log.prune(), Math.max(250, Math.min(5_000, this.options.changeLogMs / 2)));
    this.pruneTimer.unref();
    // The bus first: a Bloom filter built before it listens would miss the others' inserts.
    if (this.options.redisUrl) {
      this.bus = new InvalidationBus(this.options.redisUrl, this.options.channel, this.options.ackTimeoutMs, {
        remote: (changes) => this.remote(changes),
        down: () => this.busDown(),
        up: () => this.busUp(),
      });
      if (!(await this.bus.start())) {
        this.busDown();
        // Everything is rebuilt when the bus connects.
        return;
      }
    }
    await this.rebuildBlooms();
    if (this.l2) await this.l2.ensure(this.cachedEntities());
  }

  // What other processes commit is no longer heard: forget everything and cache nothing (reads go
  // to the database) until the bus is back; it reconnects by itself.
  private busDown(): void {
    this.degraded = true;
    this.l2?.suspend();
    this.forget();
    this.db!.config.warn(`CachePlugin: the invalidation bus (${this.options.channel}) cannot reach Redis; caching is off until it does`);
  }

  // Back after a gap: what others published in between was lost, so nothing cached before is
  // trusted. L1 starts empty; the Bloom filters, which may have missed others' inserts, are
  // rebuilt; L2 is used again once every entity has a new generation.
  private busUp(): void {
    this.forget();
    this.degraded = false;
    this.rebuildBlooms().catch(() => undefined);
    if (this.l2) void this.resumeL2(this.epoch);
  }

  private async resumeL2(epoch: number): Promise<void> {
    // A new gap (epoch) or close ends the attempts; the next reconnect starts new ones.
    while (epoch === this.epoch && this.bus?.isConnected) {
      if (await this.l2!.resume(this.cachedEntities())) return;
      await new Promise((resolve) => setTimeout(resolve, this.options.ackTimeoutMs).unref());
    }
  }

  // Drops every cached read and every read in flight, and logs every entity as changed, so that
  // reads running now do not fill; the Bloom filters are off until rebuilt.
  private forget(): void {
    this.epoch++;
    this.bloomReady = false;
    this.clear();
    for (const entity of this.cachedEntities()) this.log.record(entity, null);
  }

  private cachedEntities(): string[] {
    return Object.keys(this.db!.orm.getMetadata().getAll())
      .map((n) => {
        try {
          return resolveEntity(n).name;
        } catch {
          return undefined;
        }
      })
      .filter((n): n is string => n !== undefined && this.isCached(n));
  }

  // Rebuilt from the data at every start: a Bloom filter cannot forget, and other programs may
  // have written while this one was down.
  private async rebuildBlooms(): Promise<void> {
    const epoch = ++this.epoch;
    this.bloomReady = false;
    const db = this.db!;
    const knex = (db.orm.em as SqlEntityManager).getKnex();
    const schema = db.config.dialect === 'postgresql' ? db.config.postgresql.schema : undefined;
    for (const [entity, columns] of Object.entries(this.options.bloom)) {
      if (!this.isCached(entity)) continue;
      const def = resolveEntity(entity);
      const perColumn = new Map<string, BloomFilter>();
      // In place before the scan, so that it learns the inserts that commit during the scan.
      if (epoch !== this.epoch) return;
      this.blooms.set(entity, perColumn);
      for (const column of columns) {
        const col = def.columns.get(column);
        if (!col) continue;
        const bloom = new BloomFilter(this.options.bloomExpectedItems);
        perColumn.set(column, bloom);
        const q = knex(def.table.table).distinct(column);
        const rows = (await (schema ? q.withSchema(schema) : q)) as Record<string, unknown>[];
        for (const r of rows) bloom.add(valueKey(col.kind, r[column], this.zone));
      }
    }
    // A gap since the rebuild began (the bus lost messages) makes it incomplete.
    if (epoch === this.epoch && !this.degraded) this.bloomReady = true;
  }

  private learn(entity: string, row: Row | undefined): void {
    const perColumn = this.blooms.get(entity);
    if (!perColumn || !row) return;
    const def = resolveEntity(entity);
    for (const [column, bloom] of perColumn) bloom.add(valueKey(def.columns.get(column)!.kind, row[column], this.zone));
  }

  private bloomRejects(ctx: ReadContext): boolean {
    if (!this.bloomReady) return false;
    const perColumn = this.blooms.get(ctx.entity.name);
    if (!perColumn) return false;
    for (const c of ctx.filter) {
      if (c.op !== 'eq') continue;
      const bloom = perColumn.get(c.column.name);
      if (bloom && !bloom.mightContain(valueKey(c.column.kind, c.value, this.zone))) return true;
    }
    return false;
  }

  /** A hit found by the read's path, answered synchronously; anything else goes on to `read`. */
  private lookup(ctx: ReadContext): ReadResult | undefined {
    const entity = ctx.entity.name;
    if (ctx.options.cache === false || !this.isCached(entity)) return undefined;
    const hit = this.l1.getByPath(ctx);
    if (hit === undefined || hit.pending !== 0) return undefined;
    this.counts.hitsL1++;
    if (hit.negative) this.counts.negativeHits++;
    if (this.hooks.hit.taps.length > 0) this.hooks.hit.call({ entity, level: 'l1' });
    return (hit.hit ??= { value: hit.value, source: 'l1' });
  }

  private read(ctx: ReadContext): Promise<ReadResult | undefined> {
    const entity = ctx.entity.name;
    if (ctx.options.cache === false || this.degraded || !this.isCached(entity)) return NOTHING;
    const key = readKey(ctx, this.zone);
    if (key.length > MAX_KEY_LENGTH) return NOTHING;
    const hit = this.l1.get(key);
    if (hit !== undefined && hit.pending === 0) {
      this.counts.hitsL1++;
      if (hit.negative) this.counts.negativeHits++;
      if (this.hooks.hit.taps.length > 0) this.hooks.hit.call({ entity, level: 'l1' });
      return Promise.resolve({ value: hit.value, source: 'l1' });
    }
    if (this.bloomRejects(ctx)) {
      this.counts.bloomRejections++;
      if (this.hooks.hit.taps.length > 0) this.hooks.hit.call({ entity, level: 'bloom' });
      return Promise.resolve({ value: ctx.kind === 'count' ? 0 : EMPTY, source: 'bloom' });
    }
    const flight = this.inflight.get(key);
    if (flight !== undefined) {
      this.counts.singleFlightJoins++;
      return flight.promise;
    }
    this.counts.misses++;
    if (this.hooks.miss.taps.length > 0) this.hooks.miss.call({ entity });
    const promise = this.load(ctx, key).finally(() => {
      if (this.inflight.get(key)?.promise === promise) this.inflight.delete(key);
    });
    this.inflight.set(key, { entity, filter: ctx.filter, promise });
    return promise;
  }

  private async load(ctx: ReadContext, key: string): Promise<ReadResult> {
    const entity = ctx.entity.name;
    const since = this.log.seq;
    let gen: string | undefined;
    if (this.l2) {
      const found = await this.l2.lookup(entity, key);
      gen = found.gen;
      if (found.value !== undefined) {
        const value = freezeValue(found.value);
        if (this.hooks.hit.taps.length > 0) this.hooks.hit.call({ entity, level: 'l2' });
        this.fill(ctx, key, value, value, since);
        return { value, source: 'l2' };
      }
    }
    // A maintained window reads a few rows beyond its limit, so that deletes inside it do not
    // force a refill.
    const fetch = ctx.limit !== undefined && modeOf(ctx) === 'list' ? ctx.limit + this.options.listSlack : undefined;
    const held = freezeValue(await ctx.load(fetch));
    const value = typeof held !== 'number' && held.length > ctx.limit! ? Object.freeze(held.slice(0, ctx.limit)) : held;
    if (this.fill(ctx, key, value, held, since, fetch) && this.l2) await this.l2.store(entity, key, gen, value, isEmpty(value));
    return { value, source: 'db' };
  }

  /**
   * Caches a value read since change `since`, unless a change since then (or one not yet
   * committed) could affect it. `held` is what the database returned for `fetch` rows (a list
   * read with slack), `value` what the read answers.
   */
  private fill(ctx: ReadContext, key: string, value: readonly Row[] | number, held: readonly Row[] | number, since: number, fetch?: number): boolean {
    if (this.log.changedSince(since, ctx.entity.name, ctx.filter)) return false;
    const negative = isEmpty(value);
    const { column, values } = indexOf(ctx.filter, this.zone);
    const mode = modeOf(ctx);
    const rows = held as readonly Row[];
    const entry: Entry = {
      key,
      entity: ctx.entity.name,
      filter: ctx.filter,
      value,
      mode,
      list:
        mode === 'list'
          ? {
              order: ctx.orderBy,
              limit: ctx.limit,
              maxRows: ctx.limit === undefined ? rows.length * 2 + 16 : Math.max(ctx.limit + this.options.listSlack, rows.length),
              rows: [...rows],
              // Fewer rows than asked for: these are all there are.
              complete: fetch === undefined ? ctx.limit === undefined || rows.length < ctx.limit : rows.length < fetch,
            }
          : undefined,
      negative,
      indexColumn: column,
      indexValues: values,
      pending: 0,
    };
    this.l1.set(entry, this.ttlFor(ctx.entity.name, negative), ctx);
    return true;
  }

  private applyChange(change: RowChange | WireChange, phase: Phase): void {
    const def = typeof change.entity === 'string' ? resolveEntity(change.entity) : change.entity;
    const local: RowChange = typeof change.entity === 'string' ? { ...change, entity: def } : (change as RowChange);
    const entity = def.name;
    if (local.kind === 'insert' || local.kind === 'update') this.learn(entity, local.after);
    const rows = local.kind === 'bulk' ? null : [local.before, local.after].filter((r): r is Row => r !== undefined);
    this.log.record(entity, rows);
    if (phase === 'prepare') this.log.prepare(local, rows);
    else if (phase === 'committed') this.log.settle(local);
    // Reads in flight that this change can affect are detached: readers arriving from now on
    // must not join a query that may have run before the change.
    for (const [key, flight] of this.inflight) {
      if (flight.entity !== entity) continue;
      if (rows === null || rows.length === 0 || rows.some((r) => matchesFilter(flight.filter, r, this.zone))) this.inflight.delete(key);
    }
    const { dropped, patched } = this.l1.invalidate(local, phase);
    this.counts.invalidations += dropped;
    this.counts.patches += patched;
    if (dropped > 0 && this.hooks.invalidate.taps.length > 0) this.hooks.invalidate.call({ entity, count: dropped });
  }

  private prepare(ctx: CommitContext): void {
    for (const change of ctx.changes) this.applyChange(change, 'prepare');
    if (this.l2) {
      const entities = new Set(ctx.changes.map((c) => c.entity.name));
      const prev = this.pendingBump ?? Promise.resolve();
      this.pendingBump = prev.then(() => this.l2!.bump(entities));
    }
  }

  private async committed(ctx: CommitContext): Promise<void> {
    for (const change of ctx.changes) this.applyChange(change, 'committed');
    if (this.l2) {
      await this.pendingBump;
      this.pendingBump = undefined;
      await this.l2.bump(new Set(ctx.changes.map((c) => c.entity.name)));
    }
    if (this.bus) await this.bus.publish(ctx.changes);
  }

  private remote(changes: readonly WireChange[]): void {
    for (const change of changes) {
      try {
        this.applyChange(change, 'remote');
      } catch {
        // An entity this version does not know: nothing of it is cached here.
      }
    }
  }

  private async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.bus?.stop();
    this.l1.clear();
    this.inflight.clear();
  }
}
