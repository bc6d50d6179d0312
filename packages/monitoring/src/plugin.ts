import type { Database, BotDbPlugin, Pipeline } from '@botdb/core';
import { MonitoringError } from './errors.js';
import type { MetricsHandler, ServerAddress } from './http/server.js';
import { Monitor, type MonitoringStats } from './monitor.js';
import { PLUGIN_NAME } from './name.js';
import { resolveMonitoringOptions, type MonitoringPluginOptions, type ResolvedMonitoringOptions } from './options.js';
import type { Registry } from 'prom-client';

/**
 * Prometheus metrics for a botdb database: data API reads and writes by entity, operation and
 * answering layer, every SQL statement's duration, slow statements, errors by code, the cache,
 * batch and read/write-split plugins when they are configured, and the connection pool, all in
 * the database's own prom-client `Registry`. Serves them on a standalone `/metrics` server
 * (127.0.0.1 by default) or through a handler mounted in an existing server.
 *
 * It observes only: it never answers a read or takes a write.
 *
 * @example
 * const db = await createDatabase({ plugins: [new MonitoringPlugin({ port: 9464 })] });
 * // curl http://127.0.0.1:9464/metrics
 * MonitoringPlugin.getStats(db); // { hitRate, batchingRate, reads: { latencyMs: { p50, p95, p99 } }, ... }
 */
export class MonitoringPlugin implements BotDbPlugin {
  readonly name = PLUGIN_NAME;
  /** The resolved options (defaults applied, validated, frozen). */
  readonly options: ResolvedMonitoringOptions;

  // Per-database state lives here, keyed by the database (no module-level registry).
  static readonly #monitors = new WeakMap<Database, Monitor>();

  /** Validates `options` now: a bad option fails here, naming it (`BOTDB_ERR_CONFIG`). */
  constructor(options?: MonitoringPluginOptions) {
    this.options = resolveMonitoringOptions(options);
  }

  /** Creates this database's registry and metrics and taps the pipeline. */
  apply(pipeline: Pipeline): void {
    const monitor = new Monitor(pipeline, this.options);
    MonitoringPlugin.#monitors.set(pipeline.db, monitor);
    pipeline.expose(PLUGIN_NAME, { stats: () => monitor.stats() as unknown as Readonly<Record<string, unknown>> });
    // Last of all init taps: every plugin has exposed its surface by then, and nothing that
    // could still fail `createDatabase` runs after the server starts listening.
    pipeline.hooks.init.tapPromise({ name: PLUGIN_NAME, stage: Infinity }, (db) => monitor.start(pipeline, db));
    // Last on close too: the batch stage drains (and is measured) before the server goes away.
    pipeline.hooks.close.tapPromise({ name: PLUGIN_NAME, stage: Infinity }, () => monitor.stop());
  }

  static #monitor(db: Database, call: string): Monitor {
    const m = MonitoringPlugin.#monitors.get(db);
    if (m === undefined) throw MonitoringError.notConfigured(call);
    return m;
  }

  /**
   * The figures of `db`'s metrics as one JSON-ready object: hit rate, batching rate, read,
   * write and statement counts with p50/p95/p99 latency in milliseconds, errors by code, cache,
   * batch, replica and pool figures. `BOTDB_ERR_MISSING_PLUGIN` if `db` has no MonitoringPlugin.
   */
  static getStats(db: Database): MonitoringStats {
    return MonitoringPlugin.#monitor(db, 'getStats').stats();
  }

  /** `db`'s own prom-client registry, e.g. to add application metrics or merge registries. */
  static getRegistry(db: Database): Registry {
    return MonitoringPlugin.#monitor(db, 'getRegistry').registry;
  }

  /**
   * `db`'s metrics in the Prometheus text format, for any HTTP framework.
   * @example fastify.get('/metrics', async (_req, reply) => { const m = await MonitoringPlugin.metrics(db); reply.type(m.contentType).send(m.body); });
   */
  static async metrics(db: Database): Promise<{ contentType: string; body: string }> {
    const registry = MonitoringPlugin.#monitor(db, 'metrics').registry;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  /**
   * A Node request handler serving `db`'s metrics, to mount in an existing server. It answers
   * GET and HEAD on whatever path it is mounted at and checks `token` when configured.
   * @example app.get('/metrics', MonitoringPlugin.handler(db)); // express
   * @example http.createServer((req, res) => req.url === '/metrics' ? handler(req, res) : app(req, res));
   */
  static handler(db: Database): MetricsHandler {
    return MonitoringPlugin.#monitor(db, 'handler').handler;
  }

  /** Where `db`'s standalone server listens (`{ host, port, url }`), or undefined when none runs. */
  static address(db: Database): ServerAddress | undefined {
    return MonitoringPlugin.#monitor(db, 'address').address;
  }

  /**
   * Counts an error the application caught from `db`'s data API in `botdb_errors_total` under
   * its code (`other` when it has none) with `origin="app"`. Core throws a direct read's or
   * write's database error after the hooks, where monitoring cannot see it; errors the pipeline
   * already saw (e.g. a batched write's rejection) are not counted twice. Returns whether it
   * was counted now.
   * @example try { await db.create(Messages, row); } catch (e) { MonitoringPlugin.recordError(db, e); throw e; }
   */
  static recordError(db: Database, err: unknown): boolean {
    return MonitoringPlugin.#monitor(db, 'recordError').failures.record(err, 'app');
  }
}
