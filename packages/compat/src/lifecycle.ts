import type { BotDbConfig, Database, SessionEntityManager } from '@botdb/core';
import type { PyDatabaseConfig } from './config.js';
import { closeDefault, defaultDb, logger, openDefault } from './instance.js';

/**
 * `initialize_sql_database(database_config)`: opens the default database (schema sync included)
 * from the Python `[database]` keys or a botdb config; `options` adds botdb settings such as
 * plugins. Returns the Database, or null on failure (logged, never thrown).
 */
export async function initialize_sql_database(database_config?: PyDatabaseConfig | BotDbConfig, options?: BotDbConfig): Promise<Database | null> {
  try {
    return await openDefault(database_config, options);
  } catch (e) {
    logger().error('initialize_sql_database failed', e);
    return null;
  }
}

/** `stop_database()`: drains and closes the default database. Logs errors, never throws. */
export async function stop_database(): Promise<void> {
  try {
    await closeDefault();
  } catch (e) {
    logger().error('stop_database failed', e);
  }
}

/** `db`: the Peewee-era proxy, kept because its name was imported. */
export const db = Object.freeze({
  /** Opens the default database; true on success. */
  async initialize(): Promise<boolean> {
    return (await initialize_sql_database()) !== null;
  },
});

/** A session for `await using`: an EntityManager whose pending changes flush on scope exit. */
export type DisposableSession = SessionEntityManager & AsyncDisposable;

/**
 * `get_db_session()`, in the two forms JavaScript allows.
 *
 * - `get_db_session(async (em) => { ... })`: a real transaction. Commits when the function
 *   returns, rolls back when it throws (the Python module's intended behaviour).
 * - `await using em = await get_db_session()`: an EntityManager fork whose unit of work is
 *   flushed (atomically, in one transaction) when the scope exits. JavaScript's disposal does
 *   not tell whether the scope threw, so changes not yet flushed are written on exit either
 *   way; for rollback on error use the callback form.
 *
 * Unlike the other compat calls, errors here are thrown, as the Python module re-raised them.
 */
export function get_db_session(): Promise<DisposableSession>;
export function get_db_session<T>(fn: (em: SessionEntityManager) => Promise<T>): Promise<T>;
export async function get_db_session<T>(fn?: (em: SessionEntityManager) => Promise<T>): Promise<T | DisposableSession> {
  const database = await defaultDb();
  if (fn) return database.session(fn);
  const em = database.orm.em.fork() as SessionEntityManager;
  let disposed = false;
  Object.defineProperty(em, Symbol.asyncDispose, {
    value: async () => {
      if (disposed) return;
      disposed = true;
      await em.flush();
    },
  });
  return em as DisposableSession;
}
