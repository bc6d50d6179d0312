import { BotDbError } from '@botdb/core';
import type Keyv from 'keyv';

/** Options of `new CachePlugin(options)`. Every field is optional. */
export interface CachePluginOptions {
  /** Most entries in L1 (the in-process LRU). @default 50000 */
  maxEntries?: number;
  /** Most bytes (estimated) L1 holds; the LRU evicts to stay under it. @default 67108864 (64 MiB) */
  maxBytes?: number;
  /** Time to live of an L1/L2 entry, in milliseconds. @default 300000 */
  ttlMs?: number;
  /** Time to live per entity (Python class name), overriding `ttlMs`. @example { Messages: 60_000 } */
  ttlByEntity?: Readonly<Record<string, number>>;
  /** Time to live of an empty result (`[]`, `null`, count 0). @default 30000 */
  negativeTtlMs?: number;
  /** Only these entities are cached (default: all). */
  include?: readonly string[];
  /** These entities are never cached. @default [] */
  exclude?: readonly string[];
  /**
   * Columns whose values a Bloom filter tracks, per entity, so that a lookup of a value no row
   * has costs no query. Learned from every insert and update, rebuilt at start.
   * @default stream_id, person_id, emoji_hash (Emoji, Images), cache_key, node_name, video_hash, concept
   */
  bloom?: Readonly<Record<string, readonly string[]>> | false;
  /** Bloom filter sizing: expected distinct values per column. @default 100000 */
  bloomExpectedItems?: number;
  /** L2: any keyv store shared by processes (e.g. `new Keyv(new KeyvRedis(url))`). @default none */
  l2?: Keyv;
  /**
   * Redis URL of the invalidation bus: each process publishes the rows its commits changed and
   * drops what other processes changed. Needed when several processes write one database.
   * @example 'redis://127.0.0.1:6379'
   */
  redisUrl?: string;
  /** Channel name of the invalidation bus. @default 'botdb:cache:invalidate' */
  channel?: string;
  /** How long a committed change is remembered to stop a racing read from filling stale data. @default 10000 */
  changeLogMs?: number;
  /** How long a publish waits for the other processes to apply it. @default 1000 */
  ackTimeoutMs?: number;
  /** How long an L2 call may take before the read goes to the database. @default 100 */
  l2TimeoutMs?: number;
  /**
   * Rows an ordered read with a limit keeps beyond it: the cache keeps such a read's answer up
   * to date through commits, and a delete inside the window takes the next row from these
   * instead of forcing a refill. 0 reads exactly the limit. Each slack row is read on every
   * miss of such a read (4 rows made a last-20 miss 1.33x a plain read instead of 1.12x), and a
   * chat's new messages sort first and need none: raise it for bots that delete or move rows
   * inside cached windows. @default 0
   */
  listSlack?: number;
}

/** The resolved options (defaults applied, validated, frozen). */
export interface ResolvedCacheOptions {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
  readonly ttlByEntity: Readonly<Record<string, number>>;
  readonly negativeTtlMs: number;
  readonly include: readonly string[] | undefined;
  readonly exclude: readonly string[];
  readonly bloom: Readonly<Record<string, readonly string[]>>;
  readonly bloomExpectedItems: number;
  readonly l2: Keyv | undefined;
  readonly redisUrl: string | undefined;
  readonly channel: string;
  readonly changeLogMs: number;
  readonly ackTimeoutMs: number;
  readonly l2TimeoutMs: number;
  readonly listSlack: number;
}

/** The cache's defaults (a test snapshots them). */
export const DEFAULTS = Object.freeze({
  maxEntries: 50_000,
  maxBytes: 64 * 1024 * 1024,
  ttlMs: 300_000,
  ttlByEntity: Object.freeze({}),
  negativeTtlMs: 30_000,
  exclude: Object.freeze([]) as readonly string[],
  bloom: Object.freeze({
    ChatStreams: ['stream_id'],
    PersonInfo: ['person_id'],
    Emoji: ['emoji_hash'],
    Images: ['emoji_hash'],
    CacheEntries: ['cache_key'],
    PermissionNodes: ['node_name'],
    Videos: ['video_hash'],
    GraphNodes: ['concept'],
  }) as Readonly<Record<string, readonly string[]>>,
  bloomExpectedItems: 100_000,
  channel: 'botdb:cache:invalidate',
  changeLogMs: 10_000,
  ackTimeoutMs: 1_000,
  l2TimeoutMs: 100,
  listSlack: 0,
} as const) satisfies CachePluginOptions;

function positive(value: unknown, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw BotDbError.badConfig(`CachePlugin ${option}`, 'a positive integer', value, `Default: ${fallback}.`);
  }
  return value;
}

function names(value: unknown, option: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw BotDbError.badConfig(`CachePlugin ${option}`, 'a list of entity names', value, 'Example: ["ChatStreams", "PersonInfo"].');
  }
  return Object.freeze([...value]);
}

function nonNegative(value: unknown, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 10_000) {
    throw BotDbError.badConfig(`CachePlugin ${option}`, 'an integer from 0 to 10000', value, `Default: ${fallback}.`);
  }
  return value;
}

/** Applies defaults, validates and freezes the options. */
export function resolveCacheOptions(input: CachePluginOptions = {}): ResolvedCacheOptions {
  const ttlByEntity = input.ttlByEntity ?? DEFAULTS.ttlByEntity;
  for (const [entity, ttl] of Object.entries(ttlByEntity)) positive(ttl, DEFAULTS.ttlMs, `ttlByEntity.${entity}`);
  if (input.l2 !== undefined && (typeof input.l2 !== 'object' || typeof (input.l2 as { get?: unknown }).get !== 'function')) {
    throw BotDbError.badConfig('CachePlugin l2', 'a Keyv instance', input.l2, 'Example: l2: new Keyv(new KeyvRedis("redis://127.0.0.1:6379")).');
  }
  if (input.redisUrl !== undefined && (typeof input.redisUrl !== 'string' || !/^rediss?:\/\//.test(input.redisUrl))) {
    throw BotDbError.badConfig('CachePlugin redisUrl', 'a redis:// URL', input.redisUrl, 'Example: "redis://127.0.0.1:6379".');
  }
  if (input.l2 !== undefined && input.redisUrl === undefined) {
    // L2 is shared by processes; without the bus each one's L1 (and Bloom filter) would miss
    // the others' writes and serve stale rows.
    throw BotDbError.badConfig('CachePlugin redisUrl', 'a redis:// URL when l2 is set', input.redisUrl, 'Processes sharing L2 must share the invalidation bus too: set redisUrl.');
  }
  const bloom = input.bloom === false ? {} : (input.bloom ?? DEFAULTS.bloom);
  return Object.freeze({
    maxEntries: positive(input.maxEntries, DEFAULTS.maxEntries, 'maxEntries'),
    maxBytes: positive(input.maxBytes, DEFAULTS.maxBytes, 'maxBytes'),
    ttlMs: positive(input.ttlMs, DEFAULTS.ttlMs, 'ttlMs'),
    ttlByEntity: Object.freeze({ ...ttlByEntity }),
    negativeTtlMs: positive(input.negativeTtlMs, DEFAULTS.negativeTtlMs, 'negativeTtlMs'),
    include: names(input.include, 'include'),
    exclude: names(input.exclude, 'exclude') ?? DEFAULTS.exclude,
    bloom: Object.freeze({ ...bloom }),
    bloomExpectedItems: positive(input.bloomExpectedItems, DEFAULTS.bloomExpectedItems, 'bloomExpectedItems'),
    l2: input.l2,
    redisUrl: input.redisUrl,
    channel: input.channel ?? DEFAULTS.channel,
    changeLogMs: positive(input.changeLogMs, DEFAULTS.changeLogMs, 'changeLogMs'),
    ackTimeoutMs: positive(input.ackTimeoutMs, DEFAULTS.ackTimeoutMs, 'ackTimeoutMs'),
    l2TimeoutMs: positive(input.l2TimeoutMs, DEFAULTS.l2TimeoutMs, 'l2TimeoutMs'),
    listSlack: nonNegative(input.listSlack, DEFAULTS.listSlack, 'listSlack'),
  });
}
