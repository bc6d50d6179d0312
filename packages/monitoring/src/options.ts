/**
 * Options of `new MonitoringPlugin(options)`: the type (the IDE tooltip is the manual), the one
 * `DEFAULTS` constant, and `resolveMonitoringOptions`, which applies defaults, validates and
 * freezes.
 */
import { MonitoringError } from './errors.js';

/** The structured entry logged for a statement slower than `slowStatementMs`. */
export interface SlowStatementEntry {
  readonly msg: 'botdb slow statement';
  /** The statement's shape: placeholders for values, literals replaced by `?`, whitespace collapsed, at most 500 characters. */
  readonly statement: string;
  readonly durationMs: number;
  readonly thresholdMs: number;
  /** `botdb` for the data API's statements, `mikro-orm` for a user's EntityManager work. */
  readonly source: 'botdb' | 'mikro-orm';
  /** The entity the statement is about, or `unknown`. */
  readonly entity: string;
  readonly failed: boolean;
}

/** How `new MonitoringPlugin(options)` is configured. Every field is optional. */
export interface MonitoringPluginOptions {
  /**
   * Serve `/metrics` from a standalone HTTP server on this port, started at `init` and stopped
   * at `close`. `0` lets the OS pick a free one (read it back with `MonitoringPlugin.address(db)`).
   * Without it no port is opened; mount `MonitoringPlugin.handler(db)` in your own server instead.
   * @default undefined (no server)
   * @example 9464
   */
  port?: number;
  /**
   * Address the standalone server binds. The default keeps metrics off the network; use
   * `'0.0.0.0'` only behind a firewall or with `token`. Used only with `port`.
   * @default '127.0.0.1'
   */
  host?: string;
  /** URL path the standalone server answers on; other paths get 404. Used only with `port`. @default '/metrics' */
  path?: string;
  /**
   * When set, a scrape must send `Authorization: Bearer <token>` (Prometheus:
   * `authorization: { credentials: <token> }` in the scrape config), else it gets 401. Applies
   * to the standalone server and to `MonitoringPlugin.handler(db)`.
   * @default undefined (no authentication)
   */
  token?: string;
  /**
   * Also export prom-client's default process metrics (`process_cpu_seconds_total`,
   * `nodejs_eventloop_lag_seconds`, ...) under their standard names. They describe the process,
   * not a database: enable them on one database per process.
   * @default false
   */
  defaultMetrics?: boolean;
  /**
   * Labels added to every series of this database's registry, e.g. to tell two databases of one
   * process apart when both are served from one `host:port` (mounted on two paths), where
   * Prometheus gives their series the same `instance` label.
   * @default {}
   * @example { db: 'main' }
   */
  defaultLabels?: Readonly<Record<string, string>>;
  /**
   * A statement that takes at least this long (milliseconds) counts in
   * `botdb_slow_statements_total` and is logged once through `logger`. `Infinity` disables it.
   * @default 100
   */
  slowStatementMs?: number;
  /**
   * Receives one structured entry per slow statement. The default writes it as one JSON line
   * with `console.warn`.
   * @example logger: (entry) => pino.warn(entry, entry.msg)
   */
  logger?: (entry: SlowStatementEntry) => void;
  /**
   * Bucket upper bounds, in seconds, of the duration histograms (operations, statements, batch
   * flushes). Strictly increasing, positive.
   * @default [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  durationBuckets?: readonly number[];
  /**
   * Bucket upper bounds, in rows, of `botdb_batch_size_rows`. Strictly increasing, positive.
   * @default [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
   */
  batchSizeBuckets?: readonly number[];
  /**
   * How many recent samples `MonitoringPlugin.getStats(db)` keeps per kind (reads, writes,
   * statements) to compute p50/p95/p99.
   * @default 4096
   */
  reservoirSize?: number;
}

/** `MonitoringPluginOptions` with defaults applied, validated and frozen. */
export interface ResolvedMonitoringOptions {
  readonly port: number | undefined;
  readonly host: string;
  readonly path: string;
  readonly token: string | undefined;
  readonly defaultMetrics: boolean;
  readonly defaultLabels: Readonly<Record<string, string>>;
  readonly slowStatementMs: number;
  readonly logger: (entry: SlowStatementEntry) => void;
  readonly durationBuckets: readonly number[];
  readonly batchSizeBuckets: readonly number[];
  readonly reservoirSize: number;
}

/** Writes a slow-statement entry as one JSON line on stderr. */
function logJsonLine(entry: SlowStatementEntry): void {
  console.warn(JSON.stringify({ level: 'warn', time: new Date().toISOString(), ...entry }));
}

/** The plugin's defaults. A test snapshots them so that a changed default shows in review. */
export const DEFAULTS = Object.freeze({
  port: undefined,
  host: '127.0.0.1',
  path: '/metrics',
  token: undefined,
  defaultMetrics: false,
  defaultLabels: Object.freeze({}) as Readonly<Record<string, string>>,
  slowStatementMs: 100,
  logger: logJsonLine,
  durationBuckets: Object.freeze([0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  batchSizeBuckets: Object.freeze([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]),
  reservoirSize: 4096,
}) satisfies MonitoringPluginOptions;

const KNOWN = ['port', 'host', 'path', 'token', 'defaultMetrics', 'defaultLabels', 'slowStatementMs', 'logger', 'durationBuckets', 'batchSizeBuckets', 'reservoirSize'];
/** Label names the plugin's own metrics use; a default label must not shadow them. */
const RESERVED_LABELS = ['entity', 'operation', 'layer', 'source', 'verb', 'code', 'origin', 'level', 'state', 'target', 'reason', 'replica', 'le', 'quantile'];

/** Applies defaults to `input`, validates every option (naming it in the error), and freezes. */
export function resolveMonitoringOptions(input: MonitoringPluginOptions = {}): ResolvedMonitoringOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw MonitoringError.badOption('options', 'an object', input, 'Example: new MonitoringPlugin({ port: 9464 }).');
  }
  for (const key of Object.keys(input)) {
    if (!KNOWN.includes(key)) throw MonitoringError.badOption(key, `one of ${KNOWN.join(', ')}`, key, 'Remove it or fix its spelling.');
  }
  return Object.freeze({
    ...resolveServer(input),
    defaultMetrics: flag(input.defaultMetrics, DEFAULTS.defaultMetrics, 'defaultMetrics'),
    defaultLabels: resolveLabels(input.defaultLabels),
    slowStatementMs: resolveThreshold(input.slowStatementMs),
    logger: resolveLogger(input.logger),
    durationBuckets: buckets(input.durationBuckets, DEFAULTS.durationBuckets, 'durationBuckets'),
    batchSizeBuckets: buckets(input.batchSizeBuckets, DEFAULTS.batchSizeBuckets, 'batchSizeBuckets'),
    reservoirSize: resolveReservoir(input.reservoirSize),
  });
}

function resolveServer(input: MonitoringPluginOptions): Pick<ResolvedMonitoringOptions, 'port' | 'host' | 'path' | 'token'> {
  const { port, token } = input;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)) {
    throw MonitoringError.badOption('port', 'an integer from 0 to 65535', port, 'Example: 9464; 0 picks a free port; omit it to run no server.');
  }
  const host = input.host === undefined ? DEFAULTS.host : input.host;
  if (typeof host !== 'string' || host === '') {
    throw MonitoringError.badOption('host', 'a non-empty host name or IP address', host, `Default: "${DEFAULTS.host}".`);
  }
  const path = input.path === undefined ? DEFAULTS.path : input.path;
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw MonitoringError.badOption('path', 'a path starting with "/" without query or spaces', path, `Default: "${DEFAULTS.path}".`);
  }
  if (token !== undefined && (typeof token !== 'string' || token === '' || /\s/.test(token))) {
    // Never echo a token: it is a secret even when malformed.
    throw MonitoringError.badOption('token', 'a non-empty string without whitespace', typeof token === 'string' ? '(a string)' : token, 'Omit it to serve without authentication.');
  }
  return { port, host, path, token };
}

function resolveLabels(labels: unknown): Readonly<Record<string, string>> {
  if (labels === undefined) return DEFAULTS.defaultLabels;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw MonitoringError.badOption('defaultLabels', 'an object of label names to strings', labels, 'Example: { db: "main" }.');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || name.startsWith('__')) {
      throw MonitoringError.badOption(`defaultLabels.${name}`, 'a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)', name, 'Rename the label.');
    }
    if (RESERVED_LABELS.includes(name)) {
      throw MonitoringError.badOption(`defaultLabels.${name}`, `a name other than ${RESERVED_LABELS.join(', ')}`, name, "Those are the plugin's own labels; rename yours.");
    }
    if (typeof value !== 'string') throw MonitoringError.badOption(`defaultLabels.${name}`, 'a string', value, 'Label values are strings.');
    out[name] = value;
  }
  return Object.freeze(out);
}

function resolveThreshold(ms: unknown): number {
  if (ms === undefined) return DEFAULTS.slowStatementMs;
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw MonitoringError.badOption('slowStatementMs', 'a number of milliseconds >= 0 (Infinity disables)', ms, `Default: ${DEFAULTS.slowStatementMs}.`);
  }
  return ms;
}

function resolveLogger(logger: unknown): (entry: SlowStatementEntry) => void {
  if (logger === undefined) return DEFAULTS.logger;
  if (typeof logger !== 'function') {
    throw MonitoringError.badOption('logger', 'a function (entry) => void', logger, 'Example: logger: (entry) => pino.warn(entry, entry.msg).');
  }
  return logger as (entry: SlowStatementEntry) => void;
}

function resolveReservoir(size: unknown): number {
  if (size === undefined) return DEFAULTS.reservoirSize;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > 1_000_000) {
    throw MonitoringError.badOption('reservoirSize', 'an integer from 1 to 1000000', size, `Default: ${DEFAULTS.reservoirSize}.`);
  }
  return size;
}

function buckets(value: unknown, fallback: readonly number[], option: string): readonly number[] {
  if (value === undefined) return fallback;
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > (value[i - 1] as number)));
  if (!ok) throw MonitoringError.badOption(option, 'a non-empty, strictly increasing array of positive finite numbers', value, `Default: [${fallback.join(', ')}].`);
  return Object.freeze([...(value as number[])]);
}

function flag(value: unknown, fallback: boolean, option: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw MonitoringError.badOption(option, 'true or false', value, `Default: ${fallback}.`);
  return value;
}
