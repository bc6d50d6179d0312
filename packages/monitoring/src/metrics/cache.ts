/**
 * Cache metrics, from the surface `CachePlugin` exposes: counters from its hooks (`hit`,
 * `miss`, `invalidate`), running totals and sizes from its `stats()` read at scrape time. Each
 * metric exists only when its hook or stats field does.
 */
import type { Registry } from 'prom-client';
import { FastCounter } from './fast.js';
import { amountField, labelField, numberField, numericFields, statCounter, statGauge, statsReader, surfaceHook, type StatsReader, type Surface } from './surface.js';

/** The surface name the cache plugin exposes. */
export const CACHE_PLUGIN = 'CachePlugin';

/** What the cache metrics add to `getStats`. */
export interface CacheStats {
  /** Hits over lookups: the plugin's own `hitRate` when it reports one, else hits / (hits + misses) seen on its hooks; null before the first lookup. */
  readonly hitRate: number | null;
  /** Hits and misses seen on the plugin's hooks since start (absent when it has no such hooks). */
  readonly hits?: number;
  readonly misses?: number;
  /** Every numeric field of the plugin's `stats()`, as it reports them. */
  readonly plugin: Readonly<Record<string, number>>;
}

/** Running totals of `stats()` published as counters: field, metric, help. */
const TOTALS: readonly (readonly [string, string, string])[] = [
  ['negativeHits', 'botdb_cache_negative_hits_total', 'Lookups answered from a cached "no such row" (null result).'],
  ['bloomRejections', 'botdb_cache_bloom_rejections_total', 'Unique-key lookups the Bloom filter answered "does not exist" without a query.'],
  ['singleFlightJoins', 'botdb_cache_single_flight_joins_total', 'Concurrent misses that joined a query already in flight instead of running their own.'],
  ['evictions', 'botdb_cache_evictions_total', 'Entries evicted from L1 (LRU, size or TTL).'],
  ['patches', 'botdb_cache_patches_total', 'Cached results a committed write updated in place instead of dropping them.'],
  ['l2Errors', 'botdb_cache_l2_errors_total', 'L2 store calls that failed or timed out (the read went to the database).'],
  ['busErrors', 'botdb_cache_bus_errors_total', 'Invalidation bus (Redis pub/sub) operations that failed.'],
];

/** The cache metrics of one database; `attach` returns undefined when no cache plugin is configured. */
export class CacheMetrics {
  private hits: number | undefined;
  private misses: number | undefined;

  private constructor(private readonly read: StatsReader) {}

  /** Registers the cache metrics the surface supports. */
  static attach(registry: Registry, surface: Surface | undefined): CacheMetrics | undefined {
    if (surface === undefined) return undefined;
    const m = new CacheMetrics(statsReader(surface));
    m.observeHooks(registry, surface);
    for (const [field, name, help] of TOTALS) statCounter(registry, m.read, field, name, help);
    statGauge(registry, m.read, { entriesL1: { level: 'l1' }, entriesL2: { level: 'l2' } }, 'botdb_cache_entries', 'Entries held by the cache, by level.');
    statGauge(registry, m.read, { bytesL1: { level: 'l1' }, bytesL2: { level: 'l2' } }, 'botdb_cache_size_bytes', 'Approximate bytes held by the cache, by level.');
    statGauge(registry, m.read, { hitRate: {} }, 'botdb_cache_hit_ratio', 'Hits over lookups as the cache plugin computes it (0 to 1).');
    return m;
  }

  private observeHooks(registry: Registry, surface: Surface): void {
    const onHit = surfaceHook(surface, 'hit');
    if (onHit) {
      const hits = new FastCounter(registry, { name: 'botdb_cache_hits_total', help: 'Reads the cache answered, by entity and level (l1, l2, bloom).', labelNames: ['entity', 'level'] });
      this.hits = 0;
      onHit((p) => {
        hits.inc(labelField(p, 'entity'), labelField(p, 'level'));
        this.hits = (this.hits ?? 0) + 1;
      });
    }
    const onMiss = surfaceHook(surface, 'miss');
    if (onMiss) {
      const misses = new FastCounter(registry, { name: 'botdb_cache_misses_total', help: 'Reads the cache could not answer, by entity.', labelNames: ['entity'] });
      this.misses = 0;
      onMiss((p) => {
        misses.inc(labelField(p, 'entity'));
        this.misses = (this.misses ?? 0) + 1;
      });
    }
    const onInvalidate = surfaceHook(surface, 'invalidate');
    if (onInvalidate) {
      const invalidations = new FastCounter(registry, {
        name: 'botdb_cache_invalidations_total',
        help: 'Cached results dropped because a committed write could change them, by entity.',
        labelNames: ['entity'],
      });
      onInvalidate((p) => invalidations.inc(labelField(p, 'entity'), '', '', amountField(p, 'count') ?? 1));
    }
  }

  /** The cache's figures for `getStats`. */
  stats(): CacheStats {
    const raw = this.read();
    const plugin = numericFields(raw);
    const lookups = (this.hits ?? 0) + (this.misses ?? 0);
    const hitRate = numberField(raw, 'hitRate') ?? (lookups > 0 ? (this.hits ?? 0) / lookups : null);
    return {
      hitRate,
      ...(this.hits !== undefined ? { hits: this.hits } : {}),
      ...(this.misses !== undefined ? { misses: this.misses } : {}),
      plugin,
    };
  }
}
