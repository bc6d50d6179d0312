/**
 * The simulator's parts, for the bench: the workload, the chat turn, the traffic driver and the
 * plugin selection. The bench runs exactly these, so its numbers are the simulator's code paths.
 */
export { DEFAULTS, resolveSimOptions, resolveWorkloadOptions, parseSimArgs, OptionError, USAGE } from './options.js';
export { PLUGIN_NAMES, makePlugins, pluginAvailability, checkPluginNames, activePlugins, pluginStats, cacheHitRate, batchingRate } from './plugins.js';
export { chatTurn, TURN_OPS, TurnError, emptyWriteCounts, totalWrites } from './turn.js';
export { World, PLATFORM } from './world/world.js';
export { Random, Zipf } from './world/random.js';
export { seedWorld } from './world/seed.js';
export { chatStreamRow, personRow, emojiRow, messageRow, eventMessageRow, llmUsageRow, thinkingId, actionData } from './world/rows.js';
export { TrafficDriver } from './run/drive.js';
export { LatencyRecorder, Samples, percentilesOf } from './run/latency.js';
export { openTurnDatabase, closeTurnDatabase, countTables, countTablesFresh, TURN_TABLES } from './run/database.js';
export { isTransactionControl } from './run/statements.js';
export { fmtInt, fmtMs, fmtPct, fmtRate, textTable } from './run/format.js';
export { runSimulation, READ_OPS } from './sim.js';
export { SEED_PLAN_TARGETS, summary, describeWorkload, describeRun } from './report.js';

export type { WorkloadOptions, SimOptions } from './options.js';
export type { PluginName, PluginOptions } from './plugins.js';
export type { TurnOp, OpRecorder, WriteCounts, TurnFn, TurnOptions } from './turn.js';
export type { SimPerson, SimChat, SimEmoji, MessageEvent } from './world/world.js';
export type { SeedCounts } from './world/seed.js';
export type { StreamInfo } from './world/rows.js';
export type { DriveOptions, DriveResult, DriveSnapshot } from './run/drive.js';
export type { Percentiles } from './run/latency.js';
export type { CompatSink, TableCounts, TurnTable } from './run/database.js';
export type { SimReport, SimIo, ConsistencyLine } from './sim.js';
