/**
 * Builds the MikroORM instance for a resolved config: the driver, per-connection settings
 * (SQLite pragmas, PostgreSQL statement timeout), botdb's entities, EntityManager and
 * change-tracking subscriber.
 */
import { DefaultLogger, MikroORM, type LogContext, type LoggerOptions, type Options } from '@mikro-orm/core';
import type { ResolvedConfig } from '../config/config.js';
import { entityDefs } from '../entities/entities.js';
import { BotDbError, ErrorCode } from '../errors.js';
import { BotDbEntityManager, type ChangeTracker } from './tracking.js';

type Done = (err: Error | null, conn: unknown) => void;

/** Receives each statement MikroORM ran, with its duration in milliseconds. */
export type StatementListener = (sql: string, durationMs: number, failed: boolean) => void;

/**
 * The statement shapes (SQL with placeholders) of MikroORM's statements, by their parameter
 * array. MikroORM hands `onQuery` the shape and the parameters, then logs the statement with the
 * same parameter array; with `debug` on, the text it logs has the values inlined. The listener
 * must get the shape only (the `query` hook promises it never sees values).
 */
class StatementShapes {
  private readonly byParams = new WeakMap<object, string>();

  /** MikroORM's `onQuery`: remembers the shape, changes nothing. */
  readonly onQuery = (sql: string, params: unknown[]): string => {
    if (Array.isArray(params) && params.length > 0) this.byParams.set(params, sql);
    return sql;
  };

  /** The shape of a logged statement; with parameters but no known shape, none (undefined). */
  shapeOf(context: LogContext & { query: string }): string | undefined {
    const params = context.params;
    if (!Array.isArray(params) || params.length === 0) return context.query;
    return this.byParams.get(params);
  }
}

/** MikroORM's default logger, also reporting every timed statement to botdb, by its shape. */
class ReportingLogger extends DefaultLogger {
  constructor(
    options: LoggerOptions,
    private readonly listener: StatementListener,
    private readonly shapes: StatementShapes,
  ) {
    super(options);
  }

  override logQuery(context: { query: string } & LogContext): void {
    super.logQuery(context);
    if (context.took === undefined || context.query === undefined) return;
    const sql = this.shapes.shapeOf(context);
    if (sql !== undefined) this.listener(sql, context.took, context.level === 'error');
  }
}

export function sqlitePragmas(config: ResolvedConfig): string[] {
  return [
    `PRAGMA journal_mode = ${config.sqlite.journalMode}`,
    `PRAGMA synchronous = ${config.sqlite.synchronous}`,
    `PRAGMA busy_timeout = ${config.sqlite.busyTimeoutMs}`,
    'PRAGMA foreign_keys = ON',
  ];
}

/** Runs on every new pooled connection, so settings hold for all of them, not just the first. */
function afterCreate(config: ResolvedConfig) {
  if (config.dialect === 'postgresql') {
    const sql = `SET statement_timeout = ${config.postgresql.statementTimeoutMs}`;
    return (conn: { query: (sql: string, cb: (e: Error | null) => void) => void }, done: Done) => conn.query(sql, (e) => done(e, conn));
  }
  const pragmas = sqlitePragmas(config);
  if (config.sqlite.driver === 'better-sqlite3') {
    return (conn: { exec: (sql: string) => void }, done: Done) => {
      try {
        for (const p of pragmas) conn.exec(p);
        done(null, conn);
      } catch (e) {
        done(e as Error, conn);
      }
    };
  }
  return (conn: { exec: (sql: string, cb: (e: Error | null) => void) => void }, done: Done) => conn.exec(`${pragmas.join('; ')};`, (e) => done(e, conn));
}

async function driverFor(config: ResolvedConfig): Promise<Options['driver']> {
  if (config.dialect === 'postgresql') return (await import('@mikro-orm/postgresql')).PostgreSqlDriver;
  if (config.sqlite.driver === 'sqlite3') return (await import('@mikro-orm/sqlite')).SqliteDriver;
  return (await import('@mikro-orm/better-sqlite')).BetterSqliteDriver;
}

/** Starts MikroORM for botdb. Connection failures become `BOTDB_ERR_CONNECTION`. */
export async function connect(config: ResolvedConfig, tracker: ChangeTracker, listener: StatementListener): Promise<MikroORM> {
  const pg = config.dialect === 'postgresql';
  const shapes = new StatementShapes();
  const options: Options = {
    driver: await driverFor(config),
    ...(pg ? { clientUrl: config.url, schema: config.postgresql.schema } : { dbName: config.url }),
    entities: entityDefs().map((d) => d.schema),
    // The subclass keeps every signature; TypeScript cannot relate its generic overrides.
    entityManager: BotDbEntityManager as unknown as NonNullable<Options["entityManager"]>,
    subscribers: [tracker],
    forceUtcTimezone: config.timeZone === 'utc',
    pool: { ...(pg ? { min: 0, max: config.postgresql.poolSize } : {}), afterCreate: afterCreate(config) } as Options['pool'],
    debug: config.debug,
    loggerFactory: (options) => new ReportingLogger(options, listener, shapes),
    onQuery: shapes.onQuery,
    allowGlobalContext: false,
    ensureDatabase: false,
    discovery: { warnWhenNoEntities: false },
  };
  let orm: MikroORM;
  try {
    orm = await MikroORM.init(options);
  } catch (e) {
    throw new BotDbError(ErrorCode.CONNECTION, `Could not open the database (${redact(config.url)}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  // Fail at start, not at the first query: MikroORM connects lazily on some drivers.
  const check = await orm.em.getConnection().checkConnection();
  if (!check.ok) {
    await orm.close(true);
    throw new BotDbError(ErrorCode.CONNECTION, `Could not connect to the database (${redact(config.url)}): ${check.reason}`, { cause: check.error });
  }
  return orm;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
