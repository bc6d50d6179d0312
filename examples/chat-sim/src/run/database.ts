/**
 * Opening and closing the database a turn runs on. The turn calls compat's `store_action_info`,
 * which works on compat's default instance; so the database is opened as that instance
 * (`initialize_sql_database` returns it), and the data API and compat share one pipeline.
 */
import { initialize_sql_database, setCompatLogger, stop_database } from '@botdb/compat';
import { ActionRecords, ChatStreams, Emoji, LLMUsage, Messages, PersonInfo, createDatabase, type BotDbConfig, type Database } from '@botdb/core';

/** Receives what compat logs (it reports errors instead of throwing them). */
export interface CompatSink {
  error(message: string, error?: unknown): void;
}

/**
 * Opens `config` as compat's default database and returns it. Any default database left open
 * is closed first, so the returned one is the one `store_action_info` writes to.
 */
export async function openTurnDatabase(config: BotDbConfig, sink?: CompatSink): Promise<Database> {
  await stop_database();
  let openError: unknown;
  setCompatLogger({
    error: (message, error) => {
      openError = error ?? message;
      if (sink) sink.error(message, error);
      else console.error(`[botdb.compat] ${message}`, error instanceof Error ? error.message : (error ?? ''));
    },
    warn: (message) => console.warn(`[botdb.compat] ${message}`),
  });
  const db = await initialize_sql_database(config);
  if (db === null) throw new Error(`Could not open the database: ${openError instanceof Error ? openError.message : String(openError)}`, { cause: openError });
  return db;
}

/** Closes the database (draining its plugins) and forgets compat's default instance. */
export async function closeTurnDatabase(db: Database): Promise<void> {
  await db.close();
  await stop_database();
}

/** The tables a turn writes or reads, with their row counts. */
export const TURN_TABLES = {
  messages: Messages,
  llm_usage: LLMUsage,
  action_records: ActionRecords,
  chat_streams: ChatStreams,
  person_info: PersonInfo,
  emoji: Emoji,
} as const;

/** A table a turn touches. */
export type TurnTable = keyof typeof TURN_TABLES;

/** Row counts of the turn tables, and the sum of `message_count` over the given streams. */
export interface TableCounts {
  readonly rows: Readonly<Record<TurnTable, number>>;
  readonly messageCountSum: number;
}

/** Counts rows straight from the database (`cache: false`: no plugin answers). */
export async function countTables(db: Database, streamIds: readonly string[]): Promise<TableCounts> {
  const rows = {} as Record<TurnTable, number>;
  for (const [table, entity] of Object.entries(TURN_TABLES)) rows[table as TurnTable] = await db.count(entity, {}, { cache: false });
  let messageCountSum = 0;
  for (let i = 0; i < streamIds.length; i += 500) {
    const streams = await db.get(ChatStreams, { filters: { stream_id: { $in: streamIds.slice(i, i + 500) } }, cache: false });
    for (const s of streams) messageCountSum += s.message_count ?? 0;
  }
  return { rows, messageCountSum };
}

/**
 * Counts through a fresh connection with no plugins, after the traffic's database was closed:
 * what is really stored, not what a cache remembers.
 */
export async function countTablesFresh(config: BotDbConfig, streamIds: readonly string[]): Promise<TableCounts> {
  const db = await createDatabase({ ...config, plugins: [], syncSchema: false });
  try {
    return await countTables(db, streamIds);
  } finally {
    await db.close();
  }
}
