import { MODELS } from '@botdb/core';

export { db_query, db_get, db_save, store_action_info } from './api.js';
export { initialize_sql_database, stop_database, get_db_session, db } from './lifecycle.js';
export { setCompatLogger } from './instance.js';
export { fromPythonConfig } from './config.js';
export {
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
} from '@botdb/core';

/** The Python `MODEL_MAPPING`: the 25 models by class name (the napcat plugin table is not in it). */
export const MODEL_MAPPING: Readonly<Record<string, (typeof MODELS)[string]>> = Object.freeze(
  // No prototype: `MODEL_MAPPING[name]` with a caller's name finds a model or undefined, never
  // an Object.prototype member ("constructor", "__proto__").
  Object.assign(Object.create(null) as Record<string, (typeof MODELS)[string]>, Object.fromEntries(Object.entries(MODELS).filter(([name]) => name !== 'NapcatBanRecord'))),
);

export type { DbQueryArgs, DbGetArgs, DbSaveArgs, StoreActionInfoArgs, ChatStreamLike, QueryType } from './api.js';
export type { DisposableSession } from './lifecycle.js';
export type { CompatLogger } from './instance.js';
export type { PyDatabaseConfig } from './config.js';
