import { isAbsolute, resolve } from 'node:path';
import { BotDbError } from '../errors.js';
import type { BotDbPlugin } from '../pipeline/plugin.js';

/** SQLite settings. Pragmas are applied on every connection the driver opens. */
export interface SqliteOptions {
  /**
   * The MikroORM driver. `better-sqlite3` is the fast default; `sqlite3` (MikroORM's
   * `@mikro-orm/sqlite`) is supported and passes the same tests.
   * @default 'better-sqlite3'
   */
  driver?: 'better-sqlite3' | 'sqlite3';
  /** How long a connection waits for a lock before failing with SQLITE_BUSY. @default 60000 */
  busyTimeoutMs?: number;
  /** `PRAGMA synchronous`. NORMAL is durable across process crashes in WAL mode. @default 'NORMAL' */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  /** `PRAGMA journal_mode`. The Python bot sets WAL too; it persists in the file. @default 'WAL' */
  journalMode?: 'WAL' | 'DELETE' | 'TRUNCATE' | 'MEMORY';
}

/** PostgreSQL settings. */
export interface PostgresOptions {
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** The schema botdb's tables live in (created if missing). @default 'public' */
  schema?: string;
  /** `statement_timeout` per connection, in milliseconds; 0 disables it. @default 30000 */
  statementTimeoutMs?: number;
}

/** How `createDatabase()` is configured. Every field is optional. */
export interface BotDbConfig {
  /**
   * Where the data lives: `sqlite:<path>` (relative paths resolve against the working
   * directory; `sqlite::memory:` for an in-memory database) or `postgres://user@host:port/db`.
   * Falls back to the `BOTDB_URL` environment variable, then to `sqlite:data/bot.db`.
   * @example 'sqlite:data/bot.db'
   * @example 'postgres://postgres@127.0.0.1:5432/bot'
   */
  url?: string;
  sqlite?: SqliteOptions;
  postgresql?: PostgresOptions;
  /** Plugin instances (`new CachePlugin()`, ...). Order does not matter: plugins declare stages. */
  plugins?: readonly BotDbPlugin[];
  /**
   * Create missing tables, columns and indexes at start. Never drops or alters anything.
   * @default true
   */
  syncSchema?: boolean;
  /**
   * How naive DateTime values (the Python bot stores them without a zone) map to JS `Date`s:
   * `local` reads `2025-10-01 08:00:00.000000` as 08:00 in this process's time zone (what
   * Python's `datetime.now()` wrote), `utc` as 08:00 UTC.
   * @default 'local'
   */
  timeZone?: 'local' | 'utc';
  /** Receives warnings (schema sync, compat). @default console.warn */
  warn?: (message: string) => void;
  /** Log every SQL statement through MikroORM's logger. @default false */
  debug?: boolean;
}

/** A configuration with defaults applied, validated and frozen. */
export interface ResolvedConfig {
  readonly dialect: 'sqlite' | 'postgresql';
  /** SQLite: the absolute file path or `:memory:`. PostgreSQL: the connection URL. */
  readonly url: string;
  readonly sqlite: Readonly<Required<SqliteOptions>>;
  readonly postgresql: Readonly<Required<PostgresOptions>>;
  readonly plugins: readonly BotDbPlugin[];
  readonly syncSchema: boolean;
  readonly timeZone: 'local' | 'utc';
  readonly warn: (message: string) => void;
  readonly debug: boolean;
}

/** botdb's defaults. A test snapshots them so that a changed default shows in review. */
export const DEFAULTS = Object.freeze({
  url: 'sqlite:data/bot.db',
  sqlite: Object.freeze({ driver: 'better-sqlite3', busyTimeoutMs: 60_000, synchronous: 'NORMAL', journalMode: 'WAL' }),
  postgresql: Object.freeze({ poolSize: 10, schema: 'public', statementTimeoutMs: 30_000 }),
  syncSchema: true,
  timeZone: 'local',
  debug: false,
} as const) satisfies Omit<BotDbConfig, 'plugins' | 'warn'>;

/** Identity helper that gives a config object its type (and IDE help). */
export function defineConfig(config: BotDbConfig): BotDbConfig {
  return config;
}

/**
 * Applies defaults and the environment to `input`, validates, and freezes the result.
 * Every check names the option and how to fix it.
 */
export function resolveConfig(input: BotDbConfig = {}, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  if (typeof input !== 'object' || input === null) {
    throw BotDbError.badConfig('config', 'an object', input, 'Call createDatabase() or createDatabase({ url: ... }).');
  }
  const rawUrl = input.url !== undefined ? input.url : env.BOTDB_URL !== undefined && env.BOTDB_URL !== '' ? env.BOTDB_URL : DEFAULTS.url;
  if (typeof rawUrl !== 'string' || rawUrl === '') {
    throw BotDbError.badConfig('url', 'a non-empty string', rawUrl, 'Use "sqlite:<path>" or "postgres://user@host:port/db".');
  }
  let dialect: ResolvedConfig['dialect'];
  let url: string;
  if (rawUrl.startsWith('sqlite:')) {
    dialect = 'sqlite';
    const path = rawUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw BotDbError.badConfig('url', 'a file path after "sqlite:"', rawUrl, 'Example: "sqlite:data/bot.db".');
    url = path === ':memory:' ? path : isAbsolute(path) ? path : resolve(path);
  } else if (/^postgres(ql)?:\/\//.test(rawUrl)) {
    dialect = 'postgresql';
    url = rawUrl;
  } else {
    throw BotDbError.badConfig('url', '"sqlite:<path>" or "postgres://..."', rawUrl, 'Set url (or BOTDB_URL) to one of those forms.');
  }

  const s = input.sqlite ?? {};
  const sqlite = Object.freeze({
    driver: pick(s.driver, DEFAULTS.sqlite.driver, 'sqlite.driver', ['better-sqlite3', 'sqlite3'] as const),
    busyTimeoutMs: count(s.busyTimeoutMs, DEFAULTS.sqlite.busyTimeoutMs, 'sqlite.busyTimeoutMs'),
    synchronous: pick(s.synchronous, DEFAULTS.sqlite.synchronous, 'sqlite.synchronous', ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const),
    journalMode: pick(s.journalMode, DEFAULTS.sqlite.journalMode, 'sqlite.journalMode', ['WAL', 'DELETE', 'TRUNCATE', 'MEMORY'] as const),
  });
  const p = input.postgresql ?? {};
  const poolSize = count(p.poolSize, DEFAULTS.postgresql.poolSize, 'postgresql.poolSize');
  if (poolSize < 1) throw BotDbError.badConfig('postgresql.poolSize', 'at least 1', poolSize, 'Use 10 unless you know better.');
  const schema = p.schema === undefined ? DEFAULTS.postgresql.schema : p.schema;
  if (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) {
    throw BotDbError.badConfig('postgresql.schema', 'an SQL identifier ([A-Za-z_][A-Za-z0-9_]*)', schema, 'Example: "public".');
  }
  const postgresql = Object.freeze({
    poolSize,
    schema,
    statementTimeoutMs: count(p.statementTimeoutMs, DEFAULTS.postgresql.statementTimeoutMs, 'postgresql.statementTimeoutMs'),
  });

  const plugins = input.plugins === undefined ? [] : input.plugins;
  if (!Array.isArray(plugins)) throw BotDbError.badConfig('plugins', 'an array of plugin instances', plugins, 'Example: plugins: [new CachePlugin()].');
  for (const [i, plugin] of plugins.entries()) {
    const pl = plugin as Partial<BotDbPlugin> | null;
    if (pl === null || typeof pl !== 'object' || typeof pl.apply !== 'function' || typeof pl.name !== 'string') {
      throw BotDbError.badConfig(`plugins[${i}]`, 'a plugin instance with a name and apply(pipeline)', plugin, 'Pass `new XPlugin()`, not the class.');
    }
  }
  const warn = input.warn === undefined ? (m: string) => console.warn(`[botdb] ${m}`) : input.warn;
  if (typeof warn !== 'function') throw BotDbError.badConfig('warn', 'a function', warn, 'Example: warn: (m) => logger.warn(m).');

  return Object.freeze({
    dialect,
    url,
    sqlite,
    postgresql,
    plugins: Object.freeze([...plugins]),
    syncSchema: flag(input.syncSchema, DEFAULTS.syncSchema, 'syncSchema'),
    timeZone: pick(input.timeZone, DEFAULTS.timeZone, 'timeZone', ['local', 'utc'] as const),
    warn,
    debug: flag(input.debug, DEFAULTS.debug, 'debug'),
  });
}

function pick<T extends string>(value: unknown, fallback: T, option: string, allowed: readonly T[]): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw BotDbError.badConfig(option, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value, `Default: "${fallback}".`);
  }
  return value as T;
}

function count(value: unknown, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw BotDbError.badConfig(option, 'a non-negative integer', value, `Default: ${fallback}.`);
  }
  return value;
}

function flag(value: unknown, fallback: boolean, option: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw BotDbError.badConfig(option, 'true or false', value, `Default: ${fallback}.`);
  return value;
}
