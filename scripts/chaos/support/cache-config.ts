/**
 * The cache set-up of the Redis scenario, shared by its two processes: L1, L2 in Redis (keyv +
 * @keyv/redis, as the cache tests use them) and the Redis invalidation bus.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { CachePlugin, type CachePluginOptions } from '../deps.js';

/** How long a publish waits for the other process's acknowledgement in this scenario. */
export const ACK_TIMEOUT_MS = 500;

// keyv and @keyv/redis are the cache package's (test) dependencies: resolve them from there.
const fromCache = createRequire(new URL('../../../packages/cache/package.json', import.meta.url));

async function load<T>(name: string): Promise<T> {
  return ((await import(pathToFileURL(fromCache.resolve(name)).href)) as { default: T }).default;
}

export async function cachePlugin(redisUrl: string, channel: string, namespace: string): Promise<CachePlugin> {
  type L2 = NonNullable<CachePluginOptions['l2']>;
  const Keyv = await load<new (options: { store: unknown; namespace: string }) => L2>('keyv');
  const KeyvRedis = await load<new (url: string, options: { throwOnConnectError: boolean }) => unknown>('@keyv/redis');
  const l2 = new Keyv({ store: new KeyvRedis(redisUrl, { throwOnConnectError: false }), namespace });
  return new CachePlugin({ l2, redisUrl, channel, ackTimeoutMs: ACK_TIMEOUT_MS });
}
