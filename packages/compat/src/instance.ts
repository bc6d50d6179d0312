/**
 * The default database the module-level API works on. This is the one module-level singleton
 * in botdb, because the API it keeps is module-level.
 */
import { createDatabase, type BotDbConfig, type Database } from '@botdb/core';
import { fromPythonConfig, isPythonConfig, type PyDatabaseConfig } from './config.js';

/** Where compat reports what the Python module logged (errors are logged, never thrown). */
export interface CompatLogger {
  error(message: string, error?: unknown): void;
  warn(message: string): void;
}

const state: {
  db: Database | undefined;
  opening: Promise<Database> | undefined;
  config: BotDbConfig | undefined;
  logger: CompatLogger;
} = {
  db: undefined,
  opening: undefined,
  config: undefined,
  logger: {
    error: (message, error) => console.error(`[botdb.compat] ${message}`, error instanceof Error ? error.message : (error ?? '')),
    warn: (message) => console.warn(`[botdb.compat] ${message}`),
  },
};

/** Replaces the logger compat reports errors and warnings to. */
export function setCompatLogger(logger: CompatLogger): void {
  state.logger = logger;
}

export function logger(): CompatLogger {
  return state.logger;
}

/** Opens the default database once; concurrent callers share the same opening. */
export function openDefault(config?: PyDatabaseConfig | BotDbConfig, extra?: BotDbConfig): Promise<Database> {
  if (state.db) return Promise.resolve(state.db);
  if (!state.opening) {
    const base = config === undefined ? (state.config ?? {}) : isPythonConfig(config) ? fromPythonConfig(config) : (config as BotDbConfig);
    const merged: BotDbConfig = { warn: (m) => state.logger.warn(m), ...base, ...extra };
    state.config = merged;
    state.opening = createDatabase(merged).then(
      (db) => {
        state.db = db;
        state.opening = undefined;
        return db;
      },
      (e: unknown) => {
        state.opening = undefined;
        throw e;
      },
    );
  }
  return state.opening;
}

/** The default database, opened lazily (like the Python module's first session). */
export function defaultDb(): Promise<Database> {
  return openDefault();
}

/** Closes the default database; the next call opens it again with the same config. */
export async function closeDefault(): Promise<void> {
  const db = state.db ?? (state.opening ? await state.opening.catch(() => undefined) : undefined);
  state.db = undefined;
  if (db) await db.close();
}
