/**
 * Batch metrics, from the surface `BatchPlugin` exposes: batch sizes and flush durations from
 * its `flush` hook, degradations, retries and isolated failures from its hooks (or, without a
 * hook, from the running totals of its `stats()`), queue depth and batching rate from `stats()`
 * at scrape time. Each metric exists only when its hook or stats field does.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { amountField, labelField, numberField, numericFields, statCounter, statGauge, statsReader, surfaceHook, type StatsReader, type Surface } from './surface.js';

/** The surface name the batch plugin exposes. */
export const BATCH_PLUGIN = 'BatchPlugin';

/** What the batch metrics add to `getStats`. */
export interface BatchStats {
  /** The plugin's own `batchingRate` (writes that shared a statement, 0 to 1), or null when it reports none. */
  readonly batchingRate: number | null;
  /** Flushes seen on the plugin's `flush` hook since start (absent without that hook). */
  readonly flushes?: number;
  /** Every numeric field of the plugin's `stats()`, as it reports them. */
  readonly plugin: Readonly<Record<string, number>>;
}

/** Event counters: surface hook, stats field used when the hook is absent, metric, help. */
const EVENTS: readonly (readonly [string, string, string, string])[] = [
  ['degrade', 'degradations', 'botdb_batch_degradations_total', 'Times the batch plugin fell back to direct writes because the database was slow or failing.'],
  ['retry', 'retries', 'botdb_batch_retries_total', 'Batch flushes retried after a transient failure.'],
  ['isolated', 'isolatedFailures', 'botdb_batch_isolated_failures_total', 'Writes that failed on their own after their batch failed and was split to find them.'],
];

/** The batch metrics of one database; `attach` returns undefined when no batch plugin is configured. */
export class BatchMetrics {
  private flushes: number | undefined;

  private constructor(private readonly read: StatsReader) {}

  /** Registers the batch metrics the surface supports. */
  static attach(registry: Registry, surface: Surface | undefined, durationBuckets: readonly number[], sizeBuckets: readonly number[]): BatchMetrics | undefined {
    if (surface === undefined) return undefined;
    const m = new BatchMetrics(statsReader(surface));
    const onFlush = surfaceHook(surface, 'flush');
    if (onFlush) {
      const size = new Histogram({
        name: 'botdb_batch_size_rows',
        help: 'Writes per flushed batch, by entity.',
        labelNames: ['entity'],
        buckets: [...sizeBuckets],
        registers: [registry],
      });
      const duration = new Histogram({
        name: 'botdb_batch_flush_duration_seconds',
        help: 'Duration of a batch flush (its transaction), by entity, in seconds.',
        labelNames: ['entity'],
        buckets: [...durationBuckets],
        registers: [registry],
      });
      m.flushes = 0;
      onFlush((p) => {
        const labels = { entity: labelField(p, 'entity') };
        const rows = amountField(p, 'size');
        const ms = amountField(p, 'durationMs');
        if (rows !== undefined) size.observe(labels, rows);
        if (ms !== undefined) duration.observe(labels, ms / 1000);
        m.flushes = (m.flushes ?? 0) + 1;
      });
    }
    for (const [hook, field, name, help] of EVENTS) {
      const on = surfaceHook(surface, hook);
      if (on) {
        const counter = new Counter({ name, help, registers: [registry] });
        on(() => counter.inc());
      } else {
        statCounter(registry, m.read, field, name, help);
      }
    }
    statGauge(registry, m.read, { queueDepth: {} }, 'botdb_batch_queue_depth', 'Writes waiting in the batch queue.');
    statGauge(registry, m.read, { batchingRate: {} }, 'botdb_batch_batching_ratio', 'Share of writes that went out in a multi-row batch rather than alone (0 to 1).');
    return m;
  }

  /** The batch plugin's figures for `getStats`. */
  stats(): BatchStats {
    const raw = this.read();
    const plugin = numericFields(raw);
    return { batchingRate: numberField(raw, 'batchingRate') ?? null, ...(this.flushes !== undefined ? { flushes: this.flushes } : {}), plugin };
  }
}
