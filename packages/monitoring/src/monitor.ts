/**
 * The monitoring state of one database: its own prom-client `Registry` (never the global one, so
 * two databases in one process never collide), the metric groups feeding it, the `getStats`
 * figures, and the standalone server when configured.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Database, Pipeline } from '@botdb/core';
import { metricsHandler, MetricsServer, type MetricsHandler, type ServerAddress } from './http/server.js';
import { BATCH_PLUGIN, BatchMetrics, type BatchStats } from './metrics/batch.js';
import { CACHE_PLUGIN, CacheMetrics, type CacheStats } from './metrics/cache.js';
import { FailureMetrics } from './metrics/failures.js';
import { OperationMetrics } from './metrics/operations.js';
import { PoolMetrics, type PoolStats } from './metrics/pool.js';
import { ReplicaMetrics, RW_SPLIT_PLUGIN, type ReplicaStats } from './metrics/replica.js';
import { StatementMetrics } from './metrics/statements.js';
import type { ResolvedMonitoringOptions } from './options.js';
import { Reservoir, type Percentiles } from './stats/reservoir.js';
import { Tally } from './stats/tally.js';

/**
 * `MonitoringPlugin.getStats(db)`: the figures of the metrics as one JSON-ready object.
 * Latencies are in milliseconds over the most recent `reservoirSize` samples of each kind.
 */
export interface MonitoringStats {
  /** Cache hits over lookups (0 to 1); null without a cache plugin or before its first lookup. */
  readonly hitRate: number | null;
  /** Share of writes the batch plugin sent in multi-row batches (0 to 1); null without one. */
  readonly batchingRate: number | null;
  /** Data API reads: how many, by answering layer, and their end-to-end latency. */
  readonly reads: { readonly total: number; readonly byLayer: Readonly<Record<string, number>>; readonly latencyMs: Percentiles };
  /**
   * Data API writes: how many, by layer (`db` when run directly), and the end-to-end latency of
   * those a plugin took (a batched write: until its commit). Direct writes are timed per
   * statement, in `statements`.
   */
  readonly writes: { readonly total: number; readonly byLayer: Readonly<Record<string, number>>; readonly latencyMs: Percentiles };
  /** Every SQL statement (data API and EntityManager work): how many, failed, slow, latency. */
  readonly statements: { readonly total: number; readonly failed: number; readonly slow: number; readonly latencyMs: Percentiles };
  /** Errors by code, as counted in `botdb_errors_total`. */
  readonly errors: Readonly<Record<string, number>>;
  /** Present when a cache plugin is configured. */
  readonly cache: CacheStats | null;
  /** Present when a batch plugin is configured. */
  readonly batch: BatchStats | null;
  /** Present when a read/write split is configured. */
  readonly replica: ReplicaStats | null;
  /** Present when the driver exposes a connection pool (and the database is open). */
  readonly pool: PoolStats | null;
}

/** The monitoring of one database. */
export class Monitor {
  readonly registry = new Registry();
  private readonly readLayers = new Tally();
  private readonly writeLayers = new Tally();
  private readonly errorCodes = new Tally();
  private readonly readLatency: Reservoir;
  private readonly writeLatency: Reservoir;
  private readonly statementLatency: Reservoir;
  private readonly statements: StatementMetrics;
  readonly failures: FailureMetrics;
  private cache: CacheMetrics | undefined;
  private batch: BatchMetrics | undefined;
  private replica: ReplicaMetrics | undefined;
  private pool: PoolMetrics | undefined;
  private server: MetricsServer | undefined;
  /** The handler to mount in an application's own server. */
  readonly handler: MetricsHandler;

  constructor(
    pipeline: Pipeline,
    private readonly options: ResolvedMonitoringOptions,
  ) {
    if (Object.keys(options.defaultLabels).length > 0) this.registry.setDefaultLabels({ ...options.defaultLabels });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    this.readLatency = new Reservoir(options.reservoirSize);
    this.writeLatency = new Reservoir(options.reservoirSize);
    this.statementLatency = new Reservoir(options.reservoirSize);
    const hooks = pipeline.hooks;
    new OperationMetrics(this.registry, options.durationBuckets, {
      readLayers: this.readLayers,
      writeLayers: this.writeLayers,
      readLatency: this.readLatency,
      writeLatency: this.writeLatency,
    }).attach(hooks);
    this.statements = new StatementMetrics(this.registry, options, this.statementLatency);
    this.statements.attach(hooks);
    this.failures = new FailureMetrics(this.registry, this.errorCodes);
    this.failures.attach(hooks);
    this.handler = metricsHandler(this.registry, { token: options.token });
  }

  /**
   * At `init`, once every plugin is applied: observe the surfaces of the plugins that are
   * configured, the connection pool, and start the server.
   */
  async start(pipeline: Pipeline, db: Database): Promise<void> {
    const o = this.options;
    this.cache = CacheMetrics.attach(this.registry, pipeline.surface(CACHE_PLUGIN));
    this.batch = BatchMetrics.attach(this.registry, pipeline.surface(BATCH_PLUGIN), o.durationBuckets, o.batchSizeBuckets);
    this.replica = ReplicaMetrics.attach(this.registry, pipeline.surface(RW_SPLIT_PLUGIN));
    this.pool = PoolMetrics.attach(this.registry, db);
    if (o.port !== undefined) {
      const handler = metricsHandler(this.registry, { token: o.token, path: o.path });
      this.server = await MetricsServer.start(handler, { port: o.port, host: o.host, path: o.path });
    }
  }

  /** At `close`: stop the server. The registry stays readable. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  /** Where the standalone server listens, if one runs. */
  get address(): ServerAddress | undefined {
    return this.server?.address;
  }

  /** The figures as one JSON-ready object. */
  stats(): MonitoringStats {
    const cache = this.cache?.stats() ?? null;
    const batch = this.batch?.stats() ?? null;
    return {
      hitRate: cache?.hitRate ?? null,
      batchingRate: batch?.batchingRate ?? null,
      reads: { total: this.readLayers.total, byLayer: this.readLayers.toJSON(), latencyMs: this.readLatency.percentiles() },
      writes: { total: this.writeLayers.total, byLayer: this.writeLayers.toJSON(), latencyMs: this.writeLatency.percentiles() },
      statements: { ...this.statements.counts, latencyMs: this.statementLatency.percentiles() },
      errors: this.errorCodes.toJSON(),
      cache,
      batch,
      replica: this.replica?.stats() ?? null,
      pool: this.pool?.stats() ?? null,
    };
  }
}
