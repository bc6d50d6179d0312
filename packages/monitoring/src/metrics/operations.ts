/**
 * Data API reads and writes: how many, how long end to end, and which layer answered.
 *
 * How they are timed (and why these taps exist at all): core calls a hook only when it has taps,
 * so a pure interceptor would see nothing when monitoring is the only plugin. Monitoring
 * therefore taps, without ever answering or taking anything:
 *
 * - reads: a `read` tap before every stage stamps the start (keyed by the read's context
 *   object), and an `afterRead` tap at `Stage.MONITOR` observes the end and
 *   `result.source`, the layer that answered (`db`, `l1`, `l2`, `replica`, ...). A read that
 *   fails never reaches `afterRead`: it counts in the statement and error metrics instead.
 * - writes: a `write` tap before every stage stamps the start; a `write` tap after every stage is
 *   reached only when no plugin took the write, so it counts the write as going to the database
 *   directly (layer `db`). A `register` interceptor (webpack's ProfilingPlugin technique) wraps
 *   the other plugins' `write` taps to see which one took a write and when its promise settled
 *   (for a batch: after the commit), timing that write end to end under the taker's layer.
 *   A direct write is timed end to end when core's `afterWrite` reports it done (`source: db`).
 */
import type { Registry } from 'prom-client';
import { Stage, type Hooks, type ReadContext, type ReadResult, type WriteContext } from '@botdb/core';
import { PLUGIN_NAME } from '../name.js';
import { FastCounter, FastHistogram } from './fast.js';
import type { Reservoir } from '../stats/reservoir.js';
import type { Tally } from '../stats/tally.js';

type AnyFn = (...args: unknown[]) => unknown;
type Tap = Parameters<NonNullable<Parameters<Hooks['write']['intercept']>[0]['register']>>[0];

/** Where read and write figures go besides Prometheus: the `getStats` tallies and reservoirs. */
export interface OperationSinks {
  readonly readLayers: Tally;
  readonly writeLayers: Tally;
  readonly readLatency: Reservoir;
  readonly writeLatency: Reservoir;
}

/** An operation in flight longer than this goes untimed (it most likely failed). */
const STALE_MS = 60_000;
/** Most operations tracked at once; past it the oldest half goes untimed. */
const MAX_IN_FLIGHT = 10_000;

/**
 * Start stamps of operations in flight, keyed by their context object: two arrays in start
 * order, searched from the newest. Not a WeakMap or Map: inserting and deleting a fresh key per
 * read costs 0.3 to 2 µs there, as much as the L1 cache hit being timed; here the read that
 * ends is almost always the newest entry (a pop). A read that fails never ends: its stamp stays
 * at the old end, where searches from the new end do not reach it, until it is older than
 * `STALE_MS` and dropped when the next operation starts.
 */
export class InFlight<K extends object> {
  private readonly keys: K[] = [];
  private readonly stamps: number[] = [];

  constructor(
    private readonly staleMs = STALE_MS,
    private readonly max = MAX_IN_FLIGHT,
  ) {}

  /** How many operations are tracked. */
  get size(): number {
    return this.keys.length;
  }

  /** Stamps `key` with the time now. */
  start(key: K): void {
    const now = performance.now();
    const stamps = this.stamps;
    if (stamps.length > 0 && ((stamps[0] as number) < now - this.staleMs || stamps.length >= this.max)) this.expire(now);
    this.keys.push(key);
    stamps.push(now);
  }

  /** The stamp of `key`, forgetting it; undefined when it has none. */
  take(key: K): number | undefined {
    const keys = this.keys;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (keys[i] !== key) continue;
      const t = this.stamps[i];
      if (i === keys.length - 1) {
        keys.pop();
        this.stamps.pop();
      } else {
        keys.splice(i, 1);
        this.stamps.splice(i, 1);
      }
      return t;
    }
    return undefined;
  }

  private expire(now: number): void {
    let drop = 0;
    while (drop < this.stamps.length && (this.stamps[drop] as number) < now - this.staleMs) drop++;
    if (this.stamps.length - drop >= this.max) drop = Math.max(drop, this.stamps.length >> 1);
    this.keys.splice(0, drop);
    this.stamps.splice(0, drop);
  }
}

/** The layer name of a plugin that took a write: `BatchPlugin` -> `batch`. */
export function layerOf(pluginName: string): string {
  const base = pluginName.replace(/Plugin$/, '') || pluginName;
  return base.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase();
}

/** The read/write metrics of one database. */
export class OperationMetrics {
  private readonly duration: FastHistogram;
  private readonly reads: FastCounter;
  private readonly writes: FastCounter;
  private readonly readStarts = new InFlight<ReadContext>();
  private readonly writeStarts = new InFlight<WriteContext>();

  constructor(
    registry: Registry,
    buckets: readonly number[],
    private readonly sinks: OperationSinks,
  ) {
    this.duration = new FastHistogram(registry, {
      name: 'botdb_operation_duration_seconds',
      help: 'Data API reads (end to end, by the layer that answered) and writes a plugin took (until the plugin settled them), in seconds.',
      labelNames: ['entity', 'operation', 'layer'],
      buckets,
    });
    this.reads = new FastCounter(registry, {
      name: 'botdb_reads_total',
      help: 'Data API reads answered, by entity, operation (get, count) and the layer that answered (db, l1, l2, replica, ...).',
      labelNames: ['entity', 'operation', 'layer'],
    });
    this.writes = new FastCounter(registry, {
      name: 'botdb_writes_total',
      help: 'Data API writes, by entity, operation (create, update, delete, save) and layer: db when run directly, else the plugin that took it (batch).',
      labelNames: ['entity', 'operation', 'layer'],
    });
  }

  /** Taps and intercepts the pipeline's hooks. */
  attach(hooks: Hooks): void {
    // -Infinity/Infinity: first and last whatever stages other plugins choose.
    // Every read outside a transaction passes `lookup` first (a cache hit ends there).
    hooks.lookup.tap({ name: PLUGIN_NAME, stage: -Infinity }, (ctx) => {
      this.readStarts.start(ctx);
      return undefined;
    });
    hooks.afterRead.tap({ name: PLUGIN_NAME, stage: Stage.MONITOR }, (ctx, result) => this.readDone(ctx, result));
    hooks.write.tap({ name: PLUGIN_NAME, stage: -Infinity }, (ctx) => {
      this.writeStarts.start(ctx);
      return undefined;
    });
    hooks.write.tap({ name: PLUGIN_NAME, stage: Infinity }, (ctx) => {
      this.writes.inc(ctx.entity.name, ctx.kind, 'db');
      this.sinks.writeLayers.add('db');
      return undefined;
    });
    // A write no plugin took is timed end to end when core reports it done (its commit).
    hooks.afterWrite.tap({ name: PLUGIN_NAME, stage: Stage.MONITOR }, (ctx, outcome) => {
      if (outcome.source === 'db') this.directDone(ctx);
    });
    hooks.write.intercept({ register: (tap) => (tap.name === PLUGIN_NAME ? tap : this.observeTaker(tap)) });
  }

  private readDone(ctx: ReadContext, result: ReadResult): void {
    const entity = ctx.entity.name;
    const layer = result.source;
    this.reads.inc(entity, ctx.kind, layer);
    this.sinks.readLayers.add(layer);
    const start = this.readStarts.take(ctx);
    if (start === undefined) return;
    const ms = performance.now() - start;
    this.duration.observe(ms / 1000, entity, ctx.kind, layer);
    this.sinks.readLatency.record(ms);
  }

  private directDone(ctx: WriteContext): void {
    this.timeWrite(ctx, 'db');
  }

  private takenBy(ctx: WriteContext, layer: string): void {
    this.writes.inc(ctx.entity.name, ctx.kind, layer);
    this.sinks.writeLayers.add(layer);
    this.timeWrite(ctx, layer);
  }

  /** Observes a write end to end, from its stamp, under the layer that completed it. */
  private timeWrite(ctx: WriteContext, layer: string): void {
    const start = this.writeStarts.take(ctx);
    if (start === undefined) return;
    const ms = performance.now() - start;
    this.duration.observe(ms / 1000, ctx.entity.name, ctx.kind, layer);
    this.sinks.writeLatency.record(ms);
  }

  /**
   * Wraps another plugin's `write` tap to learn whether it took the write. Arguments, result,
   * errors and timing of the call are passed through unchanged.
   */
  private observeTaker(tap: Tap): Tap {
    const fn = tap.fn as AnyFn;
    const layer = layerOf(tap.name);
    const taken = (ctx: unknown, result: unknown) => {
      if (result !== undefined) this.takenBy(ctx as WriteContext, layer);
    };
    let wrapped: AnyFn;
    if (tap.type === 'promise') {
      wrapped = (...args) => {
        const p = fn(...args);
        if (p !== null && typeof p === 'object' && typeof (p as Promise<unknown>).then === 'function') {
          // Observe on a branch: the original promise goes back to tapable untouched.
          (p as Promise<unknown>).then(
            (result) => taken(args[0], result),
            () => this.writeStarts.take(args[0] as WriteContext),
          );
        }
        return p;
      };
    } else if (tap.type === 'sync') {
      wrapped = (...args) => {
        const result = fn(...args);
        taken(args[0], result);
        return result;
      };
    } else {
      wrapped = (...args) => {
        const cb = args.pop() as (err?: unknown, result?: unknown) => void;
        return fn(...args, (err?: unknown, result?: unknown) => {
          if (!err) taken(args[0], result);
          cb(err, result);
        });
      };
    }
    return { ...tap, fn: wrapped };
  }
}
