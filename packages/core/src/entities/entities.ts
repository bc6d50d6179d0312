import { BigIntType, EntitySchema, type EntityManager, type EntitySchemaProperty } from '@mikro-orm/core';
import { BotDbError } from '../errors.js';
import type { Row } from '../schema/codec.js';
import type { TimeZoneMode } from '../schema/datetime.js';
import { TABLES } from '../schema/tables.js';
import type { ColumnDef, TableDef } from '../schema/types.js';
import { IntBooleanType, NaiveDateTimeType } from './types.js';
import type * as Rows from '../schema/rows.js';

/**
 * Everything botdb knows about one table, precomputed once: the contract, the MikroORM entity,
 * and lookups the hot paths use.
 */
export interface EntityDef {
  /** The Python class name, e.g. `ChatStreams`. */
  readonly name: string;
  readonly table: TableDef;
  /** The MikroORM entity, for `em.find(ChatStreams, ...)` in a session. */
  readonly schema: EntitySchema;
  readonly columns: ReadonlyMap<string, ColumnDef>;
  readonly columnNames: readonly string[];
  readonly primaryKey: string;
}

/** Computes the Python-side default of a column at insert time, for a database in `zone` mode. */
export function defaultValue(col: ColumnDef, now: Date = new Date(), zone: TimeZoneMode = 'local'): unknown {
  const d = col.default;
  if (d === undefined) return null;
  if ('value' in d) return d.value;
  switch (d.fn) {
    case 'now':
      return now;
    // A naive UTC wall-clock time: stored as the UTC clock reading, read back in the database's
    // zone mode, exactly like Python's datetime.utcnow(). In `utc` mode that is `now` itself;
    // in `local` mode, the Date whose local clock shows the UTC clock.
    case 'utcnow':
      return zone === 'utc' ? now : new Date(now.getTime() + now.getTimezoneOffset() * 60_000);
    case 'epoch':
      return now.getTime() / 1000;
    case 'nowText':
      return formatLocalText(now);
  }
}

function formatLocalText(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

function propertyOf(col: ColumnDef): EntitySchemaProperty<unknown, unknown> {
  const base = { fieldName: col.name, nullable: col.nullable } as const;
  const extra: Record<string, unknown> = {};
  if (col.default !== undefined) {
    extra.onCreate = (_entity: unknown, em: EntityManager) => defaultValue(col, new Date(), em.config.get('forceUtcTimezone') ? 'utc' : 'local');
  }
  if (col.onUpdate === 'now') extra.onUpdate = () => new Date();
  switch (col.kind) {
    case 'integer':
      return col.primary
        ? { ...base, type: 'integer', primary: true, autoincrement: true, runtimeType: 'number' }
        : ({ ...base, ...extra, type: 'integer', runtimeType: 'number' } as EntitySchemaProperty<unknown, unknown>);
    case 'bigint':
      return { ...base, ...extra, type: new BigIntType('number'), runtimeType: 'number' } as EntitySchemaProperty<unknown, unknown>;
    case 'float':
      return { ...base, ...extra, type: 'double', runtimeType: 'number' } as EntitySchemaProperty<unknown, unknown>;
    case 'text':
      return { ...base, ...extra, type: 'text', runtimeType: 'string' } as EntitySchemaProperty<unknown, unknown>;
    case 'boolean':
      return { ...base, ...extra, type: IntBooleanType, runtimeType: 'boolean' } as EntitySchemaProperty<unknown, unknown>;
    case 'datetime':
      return { ...base, ...extra, type: NaiveDateTimeType, runtimeType: 'Date' } as EntitySchemaProperty<unknown, unknown>;
  }
}

function defineTable(table: TableDef): EntityDef {
  const properties: Record<string, EntitySchemaProperty<unknown, unknown>> = {};
  for (const col of table.columns) properties[col.name] = propertyOf(col);
  const schema = new EntitySchema({ name: table.model, tableName: table.table, properties });
  const pk = table.columns.find((c) => c.primary);
  if (!pk) throw new BotDbError('BOTDB_ERR_SCHEMA', `table ${table.table} has no primary key`);
  return Object.freeze({
    name: table.model,
    table,
    schema,
    columns: new Map(table.columns.map((c) => [c.name, c])),
    columnNames: Object.freeze(table.columns.map((c) => c.name)),
    primaryKey: pk.name,
  });
}

// Static, immutable metadata derived from the schema contract: not per-database state.
const DEFS: readonly EntityDef[] = Object.freeze(TABLES.map(defineTable));
const BY_NAME = new Map<string, EntityDef>();
const BY_SCHEMA = new Map<unknown, EntityDef>();
for (const def of DEFS) {
  BY_NAME.set(def.name, def);
  BY_NAME.set(def.table.table, def);
  BY_SCHEMA.set(def.schema, def);
}

/** All entity definitions, in contract order. */
export function entityDefs(): readonly EntityDef[] {
  return DEFS;
}

/** A model: the exported entity object (`ChatStreams`), its Python class name, or its table name. */
export type EntityRef = EntitySchema<any> | string; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Resolves what a caller passed as an entity, or throws `BOTDB_ERR_UNKNOWN_ENTITY`. */
export function resolveEntity(ref: unknown): EntityDef {
  const def = BY_SCHEMA.get(ref) ?? (typeof ref === 'string' ? BY_NAME.get(ref) : undefined);
  if (def) return def;
  throw BotDbError.unknownEntity(ref, DEFS.map((d) => d.name));
}

function schemaOf<R>(name: string): EntitySchema<R> {
  return resolveEntity(name).schema as unknown as EntitySchema<R>;
}

export const ChatStreams = schemaOf<Rows.ChatStreamsRow>('ChatStreams');
export const LLMUsage = schemaOf<Rows.LLMUsageRow>('LLMUsage');
export const Emoji = schemaOf<Rows.EmojiRow>('Emoji');
export const Messages = schemaOf<Rows.MessagesRow>('Messages');
export const ActionRecords = schemaOf<Rows.ActionRecordsRow>('ActionRecords');
export const Images = schemaOf<Rows.ImagesRow>('Images');
export const ImageDescriptions = schemaOf<Rows.ImageDescriptionsRow>('ImageDescriptions');
export const Videos = schemaOf<Rows.VideosRow>('Videos');
export const OnlineTime = schemaOf<Rows.OnlineTimeRow>('OnlineTime');
export const PersonInfo = schemaOf<Rows.PersonInfoRow>('PersonInfo');
export const BotPersonalityInterests = schemaOf<Rows.BotPersonalityInterestsRow>('BotPersonalityInterests');
export const Memory = schemaOf<Rows.MemoryRow>('Memory');
export const Expression = schemaOf<Rows.ExpressionRow>('Expression');
export const ThinkingLog = schemaOf<Rows.ThinkingLogRow>('ThinkingLog');
export const GraphNodes = schemaOf<Rows.GraphNodesRow>('GraphNodes');
export const GraphEdges = schemaOf<Rows.GraphEdgesRow>('GraphEdges');
export const Schedule = schemaOf<Rows.ScheduleRow>('Schedule');
export const MaiZoneScheduleStatus = schemaOf<Rows.MaiZoneScheduleStatusRow>('MaiZoneScheduleStatus');
export const BanUser = schemaOf<Rows.BanUserRow>('BanUser');
export const AntiInjectionStats = schemaOf<Rows.AntiInjectionStatsRow>('AntiInjectionStats');
export const CacheEntries = schemaOf<Rows.CacheEntriesRow>('CacheEntries');
export const MonthlyPlan = schemaOf<Rows.MonthlyPlanRow>('MonthlyPlan');
export const PermissionNodes = schemaOf<Rows.PermissionNodesRow>('PermissionNodes');
export const UserPermissions = schemaOf<Rows.UserPermissionsRow>('UserPermissions');
export const UserRelationships = schemaOf<Rows.UserRelationshipsRow>('UserRelationships');
export const NapcatBanRecord = schemaOf<Rows.NapcatBanRecordRow>('NapcatBanRecord');

/** Every model by its Python class name (26, including the napcat plugin table). */
export const MODELS: Readonly<Record<string, EntitySchema<any>>> = Object.freeze( // eslint-disable-line @typescript-eslint/no-explicit-any
  // No prototype: MODELS[name] with a user-given name finds only models ("constructor" is none).
  Object.assign(Object.create(null) as Record<string, EntitySchema<any>>, Object.fromEntries(DEFS.map((d) => [d.name, d.schema]))), // eslint-disable-line @typescript-eslint/no-explicit-any
);

/** The row type of an entity. */
export type RowOf<E> = E extends EntitySchema<infer R> ? R : Row;
