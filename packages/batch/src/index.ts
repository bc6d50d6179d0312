export { BatchPlugin } from './plugin.js';
export { DEFAULTS, resolveBatchOptions } from './options.js';

export type { BatchHooks, BatchStats } from './plugin.js';
export type { BatchPluginOptions, ResolvedBatchOptions, BatchKind } from './options.js';
