export { CachePlugin } from './plugin.js';
export { DEFAULTS, resolveCacheOptions } from './options.js';
export { BloomFilter } from './bloom.js';

export type { CacheHooks, CacheStats } from './plugin.js';
export type { CachePluginOptions, ResolvedCacheOptions } from './options.js';
