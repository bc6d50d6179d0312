import { BotDbError } from '@botdb/core';

/** Write kinds the plugin can take; `save` is `db.save` (update the keyed row, else insert). */
export type BatchKind = 'create' | 'update' | 'delete' | 'save';

/** Options of `new BatchPlugin(options)`. Every field is optional. */
export interface BatchPluginOptions {
  /**
   * Which writes are batched, per entity (Python class name).
   * @default { Messages: ['create'], LLMUsage: ['create'], ActionRecords: ['create', 'save'], ChatStreams: ['update'] }
   */
  entities?: Readonly<Record<string, readonly BatchKind[]>>;
  /** Smallest and largest number of writes in one flush; the size adapts between them. @default 16, 2000 */
  minBatch?: number;
  maxBatch?: number;
  /** Longest a flush waits for writes that are still arriving (0 when none arrive). @default 2 */
  maxWaitMs?: number;
  /** Flush latency the adaptive batch size aims under. @default 20 */
  targetFlushMs?: number;
  /** Most writes waiting (queued or flushing); further writes wait for room (backpressure). @default 10000 */
  maxQueue?: number;
  /** A flush slower than this (moving average) switches to direct writes for `recoverAfterMs`. @default 1000 */
  slowFlushMs?: number;
  /** How long batching stays off after it degraded. @default 5000 */
  recoverAfterMs?: number;
  /** How long transient errors (SQLITE_BUSY, a lost PostgreSQL connection) are retried before the writes reject. @default 30000 */
  retryForMs?: number;
}

export interface ResolvedBatchOptions {
  readonly entities: Readonly<Record<string, readonly BatchKind[]>>;
  readonly minBatch: number;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly targetFlushMs: number;
  readonly maxQueue: number;
  readonly slowFlushMs: number;
  readonly recoverAfterMs: number;
  readonly retryForMs: number;
}

/** The batch plugin's defaults (a test snapshots them). */
export const DEFAULTS = Object.freeze({
  entities: Object.freeze({
    Messages: ['create'],
    LLMUsage: ['create'],
    // store_action_info upserts by action_id: a save.
    ActionRecords: ['create', 'save'],
    ChatStreams: ['update'],
  }) as Readonly<Record<string, readonly BatchKind[]>>,
  minBatch: 16,
  maxBatch: 2000,
  maxWaitMs: 2,
  targetFlushMs: 20,
  maxQueue: 10_000,
  slowFlushMs: 1_000,
  recoverAfterMs: 5_000,
  retryForMs: 30_000,
} as const) satisfies BatchPluginOptions;

function num(value: unknown, fallback: number, option: string, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw BotDbError.badConfig(`BatchPlugin ${option}`, `a number ≥ ${min}`, value, `Default: ${fallback}.`);
  }
  return value;
}

/** Applies defaults, validates and freezes the options. */
export function resolveBatchOptions(input: BatchPluginOptions = {}): ResolvedBatchOptions {
  const entities = input.entities ?? DEFAULTS.entities;
  if (typeof entities !== 'object' || entities === null) {
    throw BotDbError.badConfig('BatchPlugin entities', 'an object like { Messages: ["create"] }', entities, 'Default: Messages, LLMUsage, ActionRecords creates (and ActionRecords saves) and ChatStreams updates.');
  }
  for (const [name, kinds] of Object.entries(entities)) {
    if (!Array.isArray(kinds) || kinds.some((k) => k !== 'create' && k !== 'update' && k !== 'delete' && k !== 'save')) {
      throw BotDbError.badConfig(`BatchPlugin entities.${name}`, 'a list of "create", "update", "delete", "save"', kinds, 'Example: { Messages: ["create"] }.');
    }
  }
  const minBatch = num(input.minBatch, DEFAULTS.minBatch, 'minBatch', 1);
  const maxBatch = num(input.maxBatch, DEFAULTS.maxBatch, 'maxBatch', 1);
  if (maxBatch < minBatch) throw BotDbError.badConfig('BatchPlugin maxBatch', `at least minBatch (${minBatch})`, maxBatch, 'Raise maxBatch or lower minBatch.');
  return Object.freeze({
    entities: Object.freeze(Object.fromEntries(Object.entries(entities).map(([k, v]) => [k, Object.freeze([...v])]))),
    minBatch,
    maxBatch,
    maxWaitMs: num(input.maxWaitMs, DEFAULTS.maxWaitMs, 'maxWaitMs', 0),
    targetFlushMs: num(input.targetFlushMs, DEFAULTS.targetFlushMs, 'targetFlushMs', 0.1),
    maxQueue: num(input.maxQueue, DEFAULTS.maxQueue, 'maxQueue', 1),
    slowFlushMs: num(input.slowFlushMs, DEFAULTS.slowFlushMs, 'slowFlushMs', 1),
    recoverAfterMs: num(input.recoverAfterMs, DEFAULTS.recoverAfterMs, 'recoverAfterMs', 0),
    retryForMs: num(input.retryForMs, DEFAULTS.retryForMs, 'retryForMs', 0),
  });
}
