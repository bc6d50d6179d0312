import { SyncHook } from 'tapable';
import { ErrorCode, isTransient, matchesFilter, normalizeFilter, Stage, type BotDbPlugin, type Database, type Pipeline, type ReadContext, type Row, type WriteContext, type WriteResult } from '@botdb/core';
import { filterToInput, groupWrites, updateRuns, type Group, type Pending } from './groups.js';
import { resolveBatchOptions, type BatchKind, type BatchPluginOptions, type ResolvedBatchOptions } from './options.js';
import { createAffects, deleteAffects, saveAffects, updateAffects } from './overlap.js';

const PLUGIN_NAME = 'BatchPlugin';
const NOTHING: Promise<undefined> = Promise.resolve(undefined);
/** The options of a flush's own transaction: `beforeTransaction` knows it by this object. */
const FLUSH_TRANSACTION = Object.freeze({ ambient: false });
const WINDOW = 1024;

/** Events of the batch plugin, for monitoring. */
export type BatchHooks = {
  readonly flush: SyncHook<[{ entity: string; size: number; durationMs: number }]>;
  readonly degrade: SyncHook<[{ reason: string }]>;
  readonly retry: SyncHook<[{ entity: string }]>;
  readonly isolated: SyncHook<[{ entity: string }]>;
};

/** `batch.stats()`. */
export interface BatchStats {
  /** Writes the plugin took over. */
  writes: number;
  batches: number;
  avgBatchSize: number;
  p95BatchSize: number;
  /** Share of batched writes that committed in a batch of two or more. */
  batchingRate: number;
  avgFlushMs: number;
  p95FlushMs: number;
  queueDepth: number;
  degradations: number;
  degraded: boolean;
  retries: number;
  isolatedFailures: number;
  /** Writes that went straight to the database while batching was degraded. */
  directWrites: number;
  barrierFlushes: number;
  barrierSkips: number;
  batchSize: number;
  waitMs: number;
}

const HOOKS = new WeakMap<Database, BatchHooks>();
const STATS = new WeakMap<Database, () => BatchStats>();

function p95(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
}

/** A save's key as a filter (`keyField = keyValue`), or none for a save that always inserts. */
function saveFilter(ctx: Extract<WriteContext, { kind: 'save' }>) {
  return ctx.keyField === '' || ctx.keyValue === undefined || ctx.keyValue === null ? [] : normalizeFilter(ctx.entity, { [ctx.keyField]: ctx.keyValue });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Write coalescing: the writes of many concurrent callers commit together, in one transaction
 * per flush, and each caller's promise resolves after that commit with what a direct write
 * returns. A read issued after a write sees it.
 *
 * @example
 * const db = await createDatabase({ plugins: [new BatchPlugin()] });
 */
export class BatchPlugin implements BotDbPlugin {
  readonly name = PLUGIN_NAME;
  readonly options: ResolvedBatchOptions;
  readonly hooks: BatchHooks = Object.freeze({
    flush: new SyncHook<[{ entity: string; size: number; durationMs: number }]>(['event']),
    degrade: new SyncHook<[{ reason: string }]>(['event']),
    retry: new SyncHook<[{ entity: string }]>(['event']),
    isolated: new SyncHook<[{ entity: string }]>(['event']),
  });

  private db!: Database;
  private queue: Pending[] = [];
  private readonly pendingByEntity = new Map<string, Set<Pending>>();
  private count = 0;
  private seq = 0;
  private flushing: Promise<void> | undefined;
  /** What `lookup` found for the read it sent down the full path (its barrier reuses it). */
  private looked: { readonly ctx: ReadContext; readonly relevant: Promise<void>[] } | undefined;
  private timer: NodeJS.Immediate | undefined;
  private roomWaiters: (() => void)[] = [];
  private size: number;
  private waitMs = 0;
  private flushEwmaMs = 0;
  private degradedUntil = 0;
  private readonly sizes: number[] = [];
  private readonly latencies: number[] = [];
  private readonly c = { writes: 0, batches: 0, inBatches: 0, batchedWrites: 0, degradations: 0, retries: 0, isolatedFailures: 0, directWrites: 0, barrierFlushes: 0, barrierSkips: 0 };

  constructor(options?: BatchPluginOptions) {
    this.options = resolveBatchOptions(options);
    this.size = this.options.minBatch;
  }

  static getHooks(db: Database): BatchHooks | undefined {
    return HOOKS.get(db);
  }

  static getStats(db: Database): BatchStats | undefined {
    return STATS.get(db)?.();
  }

  apply(pipeline: Pipeline): void {
    this.db = pipeline.db;
    HOOKS.set(this.db, this.hooks);
    STATS.set(this.db, () => this.stats());
    pipeline.expose(PLUGIN_NAME, { hooks: this.hooks, stats: () => ({ ...this.stats() }) });
    pipeline.hooks.write.tapPromise({ name: PLUGIN_NAME, stage: Stage.BATCH_BARRIER }, (ctx) => this.write(ctx));
    // A pending write the read could see sends it down the full path, where the barrier waits.
    pipeline.hooks.lookup.tap({ name: PLUGIN_NAME, stage: Stage.BATCH_BARRIER }, (ctx) => this.lookup(ctx));
    pipeline.hooks.read.tapPromise({ name: PLUGIN_NAME, stage: Stage.BATCH_BARRIER }, (ctx) => this.barrier(ctx));
    // Writes issued before a session or transaction begins commit before it (issue order); a
    // flush's own transaction must not wait for itself.
    pipeline.hooks.beforeTransaction.tapPromise({ name: PLUGIN_NAME, stage: Stage.BATCH_BARRIER }, (e) =>
      e.options === FLUSH_TRANSACTION || this.count === 0 ? NOTHING : this.flush(),
    );
    pipeline.hooks.close.tapPromise({ name: PLUGIN_NAME, stage: Stage.BATCH_BARRIER }, () => this.drain());
  }

  stats(): BatchStats {
    const c = this.c;
    return {
      writes: c.writes,
      batches: c.batches,
      avgBatchSize: c.batches === 0 ? 0 : c.batchedWrites / c.batches,
      p95BatchSize: p95(this.sizes),
      batchingRate: c.batchedWrites === 0 ? 0 : c.inBatches / c.batchedWrites,
      avgFlushMs: this.latencies.length === 0 ? 0 : this.latencies.reduce((a, b) => a + b, 0) / this.latencies.length,
      p95FlushMs: p95(this.latencies),
      queueDepth: this.count,
      degradations: c.degradations,
      degraded: Date.now() < this.degradedUntil,
      retries: c.retries,
      isolatedFailures: c.isolatedFailures,
      directWrites: c.directWrites,
      barrierFlushes: c.barrierFlushes,
      barrierSkips: c.barrierSkips,
      batchSize: this.size,
      waitMs: this.waitMs,
    };
  }

  /** Waits until everything queued so far has committed (or failed). */
  async flush(): Promise<void> {
    const all = [...this.queue];
    for (const set of this.pendingByEntity.values()) all.push(...set);
    this.schedule(true);
    await Promise.all(all.map((p) => p.settled));
  }

  private takes(ctx: WriteContext): ctx is WriteContext & { kind: BatchKind } {
    const kinds = this.options.entities[ctx.entity.name];
    return kinds !== undefined && kinds.includes(ctx.kind);
  }

  private write(ctx: WriteContext): Promise<WriteResult | undefined> {
    if (!this.takes(ctx)) return this.goingDirect(ctx);
    if (Date.now() < this.degradedUntil) {
      this.c.directWrites++;
      return this.goingDirect(ctx);
    }
    return this.enqueue(ctx);
  }

  /**
   * A write the plugin does not take waits for the pending writes of its entity (flushing them
   * now): issued earlier, they apply first. All of them, not only those that touch its rows
   * now: an insert can make a row that an earlier update's filter would then match.
   */
  private goingDirect(ctx: WriteContext): Promise<undefined> {
    const set = this.pendingByEntity.get(ctx.entity.name);
    if (!set || set.size === 0) return NOTHING;
    const earlier = [...set].map((p) => p.settled);
    this.schedule(true);
    return Promise.all(earlier).then(() => undefined);
  }

  private async enqueue(ctx: WriteContext & { kind: BatchKind }): Promise<WriteResult> {
    // Backpressure: a full queue makes new writes wait instead of growing memory.
    while (this.count >= this.options.maxQueue) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    let resolve!: (r: WriteResult) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<WriteResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    const item: Pending = {
      seq: ++this.seq,
      entity: ctx.entity,
      kind: ctx.kind,
      rows: ctx.kind === 'create' ? ctx.rows : [],
      filter: ctx.kind === 'update' || ctx.kind === 'delete' ? ctx.filter : ctx.kind === 'save' ? saveFilter(ctx) : [],
      data: ctx.kind === 'update' || ctx.kind === 'save' ? ctx.data : {},
      keyField: ctx.kind === 'save' && ctx.keyField !== '' ? ctx.keyField : undefined,
      keyValue: ctx.kind === 'save' ? ctx.keyValue : undefined,
      resolve,
      reject,
      settled,
    };
    this.queue.push(item);
    this.count++;
    this.c.writes++;
    let set = this.pendingByEntity.get(ctx.entity.name);
    if (!set) {
      set = new Set();
      this.pendingByEntity.set(ctx.entity.name, set);
    }
    set.add(item);
    void settled.then(() => this.done(item));
    this.schedule(ctx.options.priority === 'high');
    return promise;
  }

  private done(item: Pending): void {
    this.pendingByEntity.get(item.entity.name)?.delete(item);
    this.count--;
    const waiters = this.roomWaiters.splice(0, Math.max(0, this.options.maxQueue - this.count));
    for (const w of waiters) w();
  }

  /**
   * Group commit: while a flush runs, new writes queue and form the next batch. With no flush
   * running, an urgent write starts one at once. Otherwise the flush waits while writes keep
   * arriving: each turn of the event loop (setImmediate) it checks whether the queue grew; it
   * flushes when a turn brings nothing new, when the batch is full, or after `maxWaitMs`. A
   * burst of concurrent writers flushes after one turn; writes that trickle in from I/O are
   * collected for up to `maxWaitMs`.
   */
  private schedule(urgent: boolean): void {
    if (this.flushing) return;
    if (urgent) {
      this.clearTimer();
      this.flushing = this.run();
      return;
    }
    if (this.timer) return;
    const started = performance.now();
    let seen = this.queue.length;
    const check = () => {
      this.timer = undefined;
      if (this.flushing || this.queue.length === 0) return;
      const waited = performance.now() - started;
      if (this.queue.length > seen && this.queue.length < this.size && waited < this.options.maxWaitMs) {
        seen = this.queue.length;
        this.timer = setImmediate(check);
        return;
      }
      this.waitMs = waited;
      this.flushing = this.run();
    };
    this.timer = setImmediate(check);
  }

  private clearTimer(): void {
    if (!this.timer) return;
    clearImmediate(this.timer);
    this.timer = undefined;
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.flushBatch();
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * One flush. Everything queued goes, up to maxBatch (the adaptive size only decides when a
   * flush stops waiting for more), taken once the flush's transaction has begun: writes that
   * arrive while it waits for the database (another transaction of this process holds the
   * writer) still join it.
   */
  private async flushBatch(): Promise<void> {
    const start = performance.now();
    let items: Pending[] | undefined;
    const take = () => (items ??= this.queue.splice(0, this.options.maxBatch));
    await this.execute(take, true);
    const ms = performance.now() - start;
    this.record(take(), ms);
    this.adapt(take().length, ms);
  }

  private record(items: readonly Pending[], ms: number): void {
    this.c.batches++;
    this.c.batchedWrites += items.length;
    if (items.length >= 2) this.c.inBatches += items.length;
    this.sizes.push(items.length);
    this.latencies.push(ms);
    if (this.sizes.length > WINDOW) this.sizes.shift();
    if (this.latencies.length > WINDOW) this.latencies.shift();
    if (this.hooks.flush.taps.length > 0) {
      const perEntity = new Map<string, number>();
      for (const i of items) perEntity.set(i.entity.name, (perEntity.get(i.entity.name) ?? 0) + 1);
      for (const [entity, size] of perEntity) this.hooks.flush.call({ entity, size, durationMs: ms });
    }
  }

  // Batch size (the queue length that ends the wait) follows flush latency: it grows while
  // flushes stay under target and shrinks above it.
  private adapt(batch: number, ms: number): void {
    const o = this.options;
    if (ms < o.targetFlushMs && batch >= Math.floor(this.size)) this.size = Math.min(o.maxBatch, this.size * 2);
    else if (ms > o.targetFlushMs) this.size = Math.max(o.minBatch, this.size * 0.7);
    this.flushEwmaMs = this.flushEwmaMs === 0 ? ms : this.flushEwmaMs * 0.8 + ms * 0.2;
    if (this.flushEwmaMs > o.slowFlushMs) this.degrade(`flushes take ${this.flushEwmaMs.toFixed(0)} ms on average`);
  }

  private degrade(reason: string): void {
    if (Date.now() < this.degradedUntil) return;
    this.degradedUntil = Date.now() + this.options.recoverAfterMs;
    this.flushEwmaMs = 0;
    this.c.degradations++;
    if (this.hooks.degrade.taps.length > 0) this.hooks.degrade.call({ reason });
  }

  /**
   * Commits `items` in one transaction and settles each. Transient errors retry with backoff
   * until `retryForMs`; any other failure splits the batch and retries the halves, so one bad
   * row fails alone and its neighbours commit. A commit whose outcome is unknown is neither:
   * running any of it again could apply it twice, so every write in it rejects with that error.
   * (A lost COMMIT that core could decide arrives here as a success or as a transient error.)
   */
  private async execute(source: Pending[] | (() => Pending[]), top: boolean): Promise<void> {
    const deadline = Date.now() + this.options.retryForMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const results = await this.commit(source);
        for (const item of typeof source === 'function' ? source() : source) item.resolve(results.get(item)!);
        return;
      } catch (e) {
        // Taken now if the transaction failed to begin: from here on, these are the items.
        const items = typeof source === 'function' ? source() : source;
        source = items;
        if ((e as { code?: unknown }).code === ErrorCode.COMMIT_UNKNOWN) {
          for (const item of items) item.reject(e);
          return;
        }
        if (isTransient(e) && Date.now() < deadline) {
          this.c.retries++;
          if (this.hooks.retry.taps.length > 0) this.hooks.retry.call({ entity: items[0]!.entity.name });
          await sleep(Math.min(1000, 5 * 2 ** attempt));
          continue;
        }
        if (isTransient(e)) {
          this.degrade('the database kept failing transiently');
          for (const item of items) item.reject(e);
          return;
        }
        if (items.length === 1) {
          if (!top) {
            this.c.isolatedFailures++;
            if (this.hooks.isolated.taps.length > 0) this.hooks.isolated.call({ entity: items[0]!.entity.name });
          }
          items[0]!.reject(e);
          return;
        }
        const mid = items.length >> 1;
        await this.execute(items.slice(0, mid), false);
        await this.execute(items.slice(mid), false);
        return;
      }
    }
  }

  private async commit(source: readonly Pending[] | (() => readonly Pending[])): Promise<Map<Pending, WriteResult>> {
    const results = new Map<Pending, WriteResult>();
    // Data API calls through the transaction's handle run in it and skip the write hook: one
    // commit, one `committed` for the whole flush. Not ambient: a flush must not turn on Node's
    // async hooks for the process (they tax every promise), and nothing else runs inside it.
    await this.db.transaction(
      async (tx) => {
        const items = typeof source === 'function' ? source() : source;
        for (const run of updateRuns(groupWrites(items, this.db.config.timeZone))) {
          if (run.length === 1) await this.runGroup(tx, run[0]!, results);
          else await this.runUpdates(tx, run as Extract<Group, { kind: 'update' }>[], results);
        }
      },
      FLUSH_TRANSACTION,
    );
    return results;
  }

  /** Update groups of one entity that follow each other: one `updateMany` (on PostgreSQL a constant number of statements). */
  private async runUpdates(db: Database, run: readonly Extract<Group, { kind: 'update' }>[], results: Map<Pending, WriteResult>): Promise<void> {
    const counts = await db.updateMany(
      run[0]!.entity.name,
      run.map((g) => ({ filters: filterToInput(g.filter), data: g.data })),
    );
    run.forEach((g, i) => {
      for (const item of g.items) results.set(item, { count: counts[i]! });
    });
  }

  private async runGroup(db: Database, g: Group, results: Map<Pending, WriteResult>): Promise<void> {
    if (g.kind === 'create') {
      const rows = await db.createMany(g.entity.name, g.items.flatMap((i) => i.rows));
      let at = 0;
      for (const item of g.items) {
        results.set(item, { rows: rows.slice(at, at + item.rows.length) as Row[] });
        at += item.rows.length;
      }
      return;
    }
    if (g.kind === 'save') {
      const item = g.items[0]!;
      const options = item.keyField === undefined ? {} : { keyField: item.keyField, keyValue: item.keyValue };
      results.set(item, { rows: [await db.save(g.entity.name, item.data, options)] });
      return;
    }
    if (g.kind === 'update') {
      const count = await db.update(g.entity.name, filterToInput(g.filter), g.data);
      for (const item of g.items) results.set(item, { count });
      return;
    }
    if (g.items.length === 1 || g.column === undefined) {
      for (const item of g.items) results.set(item, { count: await db.delete(g.entity.name, filterToInput(item.filter)) });
      return;
    }
    const values = g.items.map((i) => i.filter[0]!.value);
    const filters = { [g.column]: { $in: values } };
    const rows = (await db.get(g.entity.name, { filters })) as Row[];
    await db.delete(g.entity.name, filters);
    for (const item of g.items) results.set(item, { count: rows.filter((r) => matchesFilter(item.filter, r, db.config.timeZone)).length });
  }

  /** The settle promises of the pending writes that could change the read's answer, if any. */
  private affecting(ctx: ReadContext): Promise<void>[] | undefined {
    const set = this.pendingByEntity.get(ctx.entity.name);
    if (!set || set.size === 0) return undefined;
    const zone = this.db.config.timeZone;
    let relevant: Promise<void>[] | undefined;
    for (const p of set) {
      const affects =
        p.kind === 'create'
          ? createAffects(p.rows, ctx.filter, zone)
          : p.kind === 'update'
            ? updateAffects(p.filter, p.data, ctx.filter, zone)
            : p.kind === 'save'
              ? saveAffects(p, ctx.filter, zone)
              : deleteAffects(p.filter, ctx.filter, zone);
      if (affects) (relevant ??= []).push(p.settled);
    }
    return relevant;
  }

  private lookup(ctx: ReadContext): null | undefined {
    const relevant = this.affecting(ctx);
    if (relevant === undefined) return undefined;
    // The barrier, next on this read's path, waits for these.
    this.looked = { ctx, relevant };
    return null;
  }

  /**
   * Read-your-writes: a read waits for the pending writes of its entity that could change its
   * answer (flushing them now), and only for those.
   */
  private barrier(ctx: ReadContext): Promise<undefined> {
    const looked = this.looked;
    this.looked = undefined;
    const set = this.pendingByEntity.get(ctx.entity.name);
    if (!set || set.size === 0) return NOTHING;
    const relevant = looked?.ctx === ctx ? looked.relevant : this.affecting(ctx);
    if (relevant === undefined) {
      this.c.barrierSkips++;
      return NOTHING;
    }
    this.c.barrierFlushes++;
    this.schedule(true);
    return Promise.all(relevant).then(() => undefined);
  }

  /** On close: flush until nothing is queued or in flight. */
  private async drain(): Promise<void> {
    this.clearTimer();
    while (this.queue.length > 0 || this.flushing) {
      if (!this.flushing) this.flushing = this.run();
      await this.flushing;
    }
  }
}
