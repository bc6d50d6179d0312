export { createDatabase } from './database.js';
export { defineConfig, resolveConfig, DEFAULTS } from './config/config.js';
export { BotDbError, ErrorCode } from './errors.js';
export { Pipeline, applyPlugins } from './pipeline/plugin.js';
export { createHooks } from './pipeline/hooks.js';
export { Stage } from './pipeline/stage.js';
export {
  normalizeFilter,
  normalizeOrderBy,
  filterToSql,
  matchesFilter,
  compareValues,
  compareRows,
  compareCodePoints,
  orderByToSql,
} from './filters/filters.js';
export {
  resolveEntity,
  entityDefs,
  defaultValue,
  MODELS,
  ChatStreams,
  LLMUsage,
  Emoji,
  Messages,
  ActionRecords,
  Images,
  ImageDescriptions,
  Videos,
  OnlineTime,
  PersonInfo,
  BotPersonalityInterests,
  Memory,
  Expression,
  ThinkingLog,
  GraphNodes,
  GraphEdges,
  Schedule,
  MaiZoneScheduleStatus,
  BanUser,
  AntiInjectionStats,
  CacheEntries,
  MonthlyPlan,
  PermissionNodes,
  UserPermissions,
  UserRelationships,
  NapcatBanRecord,
} from './entities/entities.js';
export { NaiveDateTimeType, IntBooleanType } from './entities/types.js';
export { TABLES } from './schema/tables.js';
export { BOTDB_INDEXES, createTableSql } from './schema/sync.js';
export { formatNaive, parseNaive, normalizeNaive, naiveMicros } from './schema/datetime.js';
export { isValidValue, encodeValue, decodeValue } from './schema/codec.js';
export { chatStreamId, personId, actionId, epochMicros } from './ids.js';
export { isTransient } from './engine/transient.js';

export type { BotDbConfig, ResolvedConfig, SqliteOptions, PostgresOptions } from './config/config.js';
export type { Database, GetOptions, QueryOptions, SaveOptions, CallOptions, SessionEntityManager, TransactionOptions, UpdateOf } from './api/types.js';
export { isIncrement } from './api/rows.js';
export type { Increment } from './api/rows.js';
export type { BotDbPlugin } from './pipeline/plugin.js';
export type { Hooks, ReadContext, ReadResult, WriteContext, WriteResult, CommitContext, RowChange, TransactionEvent } from './pipeline/hooks.js';
export type { Filter, FilterInput, Condition, Op, OrderTerm } from './filters/filters.js';
export type { EntityDef, EntityRef, RowOf } from './entities/entities.js';
export type { ColumnDef, ColumnKind, ColumnDefault, IndexDef, TableDef } from './schema/types.js';
export type { Row, Dialect } from './schema/codec.js';
export type { TimeZoneMode } from './schema/datetime.js';
export type { SyncReport } from './schema/sync.js';
export type { ChatTarget } from './ids.js';
export type * from './schema/rows.js';
