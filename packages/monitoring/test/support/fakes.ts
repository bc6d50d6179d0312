/**
 * Small fake plugins exposing the surfaces monitoring reads (CachePlugin, BatchPlugin,
 * ReadWriteSplitPlugin), with the shapes those plugins publish. They answer reads or take writes
 * only when a call's options ask for it, so tests decide which layer serves what.
 */
import { BotDbError, ErrorCode, Stage, type BotDbPlugin, type Pipeline, type Row } from '@botdb/core';

/**
 * A minimal synchronous hook with tapable's `tap(options, fn)`, `taps` and `call`. The real
 * plugins expose tapable `SyncHook`s; monitoring uses only `tap`, and its package does not
 * depend on tapable, so the fakes pass these (cast to the surface's hook type).
 */
export class FakeHook<T> {
  readonly taps: { name: string; fn: (payload: T) => void }[] = [];

  tap(options: string | { name: string }, fn: (payload: T) => void): void {
    this.taps.push({ name: typeof options === 'string' ? options : options.name, fn });
  }

  call(payload: T): void {
    for (const t of this.taps) t.fn(payload);
  }
}

/** `CachePlugin`'s surface. A read with `{ fakeCache: 'l1' | 'l2' }` is a hit at that level. */
export class FakeCachePlugin implements BotDbPlugin {
  readonly name = 'CachePlugin';
  readonly hooks = {
    hit: new FakeHook<{ entity: string; level: 'l1' | 'l2' }>(),
    miss: new FakeHook<{ entity: string }>(),
    invalidate: new FakeHook<{ entity: string; count: number }>(),
  };
  stats: Record<string, unknown> = {
    hitsL1: 0,
    hitsL2: 0,
    misses: 0,
    hitRate: 0.5,
    negativeHits: 3,
    patches: 8,
    l2Errors: 9,
    busErrors: 10,
    bloomRejections: 4,
    singleFlightJoins: 5,
    evictions: 6,
    invalidations: 0,
    entriesL1: 42,
    bytesL1: 4096,
  };

  constructor(private readonly only?: { hooks?: readonly string[]; stats?: boolean }) {}

  apply(pipeline: Pipeline): void {
    const hooks = Object.fromEntries(Object.entries(this.hooks).filter(([n]) => this.only?.hooks === undefined || this.only.hooks.includes(n)));
    pipeline.expose(this.name, { hooks: hooks as never, ...(this.only?.stats === false ? {} : { stats: () => this.stats }) });
    pipeline.hooks.read.tap({ name: this.name, stage: Stage.CACHE }, (ctx) => {
      const level = ctx.options.fakeCache;
      if (level === 'l1' || level === 'l2') {
        this.hooks.hit.call({ entity: ctx.entity.name, level });
        return { value: ctx.kind === 'count' ? 0 : [], source: level };
      }
      this.hooks.miss.call({ entity: ctx.entity.name });
      return undefined;
    });
    pipeline.hooks.committed.tap({ name: this.name, stage: Stage.CACHE }, (ctx) => {
      for (const c of ctx.changes) this.hooks.invalidate.call({ entity: c.entity.name, count: 2 });
    });
  }
}

/**
 * `BatchPlugin`'s surface. A write with `{ fakeBatch: true }` is taken: it resolves after a
 * short wait as if committed in a batch (firing `flush`); with `{ fakeBatch: 'fail' }` it
 * rejects with `BOTDB_ERR_CONSTRAINT`, like a batched row that violated a constraint.
 */
export class FakeBatchPlugin implements BotDbPlugin {
  readonly name = 'BatchPlugin';
  readonly hooks = {
    flush: new FakeHook<{ entity: string; size: number; durationMs: number }>(),
    degrade: new FakeHook<{ reason: string }>(),
    retry: new FakeHook<{ entity: string }>(),
    isolated: new FakeHook<{ entity: string }>(),
  };
  stats: Record<string, unknown> = { batches: 0, batchingRate: 0.75, queueDepth: 7, degradations: 1, retries: 2, isolatedFailures: 3 };

  constructor(private readonly only?: { hooks?: readonly string[] }) {}

  apply(pipeline: Pipeline): void {
    const hooks = Object.fromEntries(Object.entries(this.hooks).filter(([n]) => this.only?.hooks === undefined || this.only.hooks.includes(n)));
    pipeline.expose(this.name, { hooks: hooks as never, stats: () => this.stats });
    pipeline.hooks.write.tapPromise({ name: this.name, stage: Stage.BATCH_BARRIER }, async (ctx) => {
      const mode = ctx.options.fakeBatch;
      if (mode === undefined) return undefined;
      await new Promise((r) => setTimeout(r, 5));
      if (mode === 'fail') throw new BotDbError(ErrorCode.CONSTRAINT, 'fake: UNIQUE constraint failed');
      this.hooks.flush.call({ entity: ctx.entity.name, size: 3, durationMs: 2 });
      const rows: Row[] = ctx.kind === 'create' ? [...ctx.rows] : [];
      return ctx.kind === 'create' || ctx.kind === 'save' ? { rows } : { count: 1 };
    });
  }
}

/**
 * `ReadWriteSplitPlugin`'s surface. A read with `{ fakeReplica: true }` is routed to (and
 * answered by) a replica; every other read is routed to the primary.
 */
export class FakeRwSplitPlugin implements BotDbPlugin {
  readonly name = 'ReadWriteSplitPlugin';
  readonly hooks = { route: new FakeHook<{ entity: string; target: 'primary' | 'replica'; reason: string }>() };
  stats: Record<string, unknown> = { replicaLagSeconds: { 'replica-1': 0.25, 'replica-2': 1.5 } };

  apply(pipeline: Pipeline): void {
    pipeline.expose(this.name, { hooks: this.hooks as never, stats: () => this.stats });
    pipeline.hooks.read.tap({ name: this.name, stage: Stage.ROUTE }, (ctx) => {
      if (ctx.options.fakeReplica === true) {
        this.hooks.route.call({ entity: ctx.entity.name, target: 'replica', reason: 'fresh' });
        return { value: ctx.kind === 'count' ? 0 : [], source: 'replica' };
      }
      this.hooks.route.call({ entity: ctx.entity.name, target: 'primary', reason: 'recent-write' });
      return undefined;
    });
  }
}

/** A plugin whose `read` tap throws for reads with `{ fakeThrow: true }`. */
export class ThrowingPlugin implements BotDbPlugin {
  readonly name = 'ThrowingPlugin';

  apply(pipeline: Pipeline): void {
    pipeline.hooks.read.tap({ name: this.name, stage: Stage.DEFAULT }, (ctx) => {
      if (ctx.options.fakeThrow === true) throw new Error('fake plugin failure');
      return undefined;
    });
  }
}
