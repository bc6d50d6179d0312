/**
 * @botdb/monitoring: Prometheus metrics for botdb. One line:
 * `createDatabase({ plugins: [new MonitoringPlugin({ port: 9464 })] })`.
 * Every metric is listed in docs/reference/metrics.md.
 */
export { MonitoringPlugin } from './plugin.js';
export { DEFAULTS, resolveMonitoringOptions } from './options.js';
export { MonitoringError } from './errors.js';
export { PLUGIN_NAME } from './name.js';

export type { MonitoringPluginOptions, ResolvedMonitoringOptions, SlowStatementEntry } from './options.js';
export type { MonitoringStats } from './monitor.js';
export type { Percentiles } from './stats/reservoir.js';
export type { CacheStats } from './metrics/cache.js';
export type { BatchStats } from './metrics/batch.js';
export type { ReplicaStats } from './metrics/replica.js';
export type { PoolStats } from './metrics/pool.js';
export type { MetricsHandler, ServerAddress } from './http/server.js';
