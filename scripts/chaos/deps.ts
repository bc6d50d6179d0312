/** botdb as the chaos scenarios use it: the packages' sources (as the tests do), in one place. */
export { createDatabase, ChatStreams, ErrorCode, Messages } from '../../packages/core/src/index.js';
export type { BotDbConfig, Database } from '../../packages/core/src/index.js';
export { BatchPlugin } from '../../packages/batch/src/index.js';
export { CachePlugin } from '../../packages/cache/src/index.js';
export type { CachePluginOptions } from '../../packages/cache/src/index.js';
// The crash tests' writer process and its driver, reused as they are.
export { runChild } from '../../packages/batch/test/crash-child.js';
// The seeded PRNG of the test suites, so a failing run can be replayed.
export { prng, stallProbe } from '../../packages/test-suite/src/helpers.js';
