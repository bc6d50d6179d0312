/**
 * Named stages order taps on every hook (lower runs first), never registration order
 * (webpack's `Cache.STAGE_MEMORY`). On `read`: the batch barrier flushes pending writes before
 * the cache may answer, and routing picks a connection last. On `close` the same order means
 * batch drains before the stores it writes through are gone.
 */
export const Stage = Object.freeze({
  BATCH_BARRIER: -300,
  CACHE: -200,
  PRELOAD: -100,
  DEFAULT: 0,
  ROUTE: 100,
  MONITOR: 1000,
} as const);

export type Stage = (typeof Stage)[keyof typeof Stage];
