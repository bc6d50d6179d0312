/**
 * Every error botdb throws is a `BotDbError` with a stable `code`. Test and branch on the code,
 * never on the message; the message says what went wrong and how to fix it.
 */

/** The stable error codes. */
export const ErrorCode = Object.freeze({
  CONFIG: 'BOTDB_ERR_CONFIG',
  UNKNOWN_ENTITY: 'BOTDB_ERR_UNKNOWN_ENTITY',
  UNKNOWN_FIELD: 'BOTDB_ERR_UNKNOWN_FIELD',
  UNKNOWN_OPERATOR: 'BOTDB_ERR_UNKNOWN_OPERATOR',
  BAD_VALUE: 'BOTDB_ERR_BAD_VALUE',
  BAD_QUERY: 'BOTDB_ERR_BAD_QUERY',
  MISSING_PLUGIN: 'BOTDB_ERR_MISSING_PLUGIN',
  DUPLICATE_PLUGIN: 'BOTDB_ERR_DUPLICATE_PLUGIN',
  PLUGIN: 'BOTDB_ERR_PLUGIN',
  CLOSED: 'BOTDB_ERR_CLOSED',
  QUERY: 'BOTDB_ERR_QUERY',
  CONSTRAINT: 'BOTDB_ERR_CONSTRAINT',
  SCHEMA: 'BOTDB_ERR_SCHEMA',
  CONNECTION: 'BOTDB_ERR_CONNECTION',
  COMMIT_UNKNOWN: 'BOTDB_ERR_COMMIT_UNKNOWN',
} as const);

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error botdb throws. */
export class BotDbError extends Error {
  override readonly name: string = 'BotDbError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static badConfig(option: string, expected: string, got: unknown, fix: string): BotDbError {
    return new BotDbError(
      ErrorCode.CONFIG,
      `Invalid botdb option "${option}": expected ${expected}, got ${describe(got)}. ${fix}`,
    );
  }

  static unknownEntity(entity: unknown, known: readonly string[]): BotDbError {
    return new BotDbError(
      ErrorCode.UNKNOWN_ENTITY,
      `Unknown entity ${describe(entity)}. Pass one of the exported entities (ChatStreams, Messages, ...) ` +
        `or its name: ${known.join(', ')}.`,
    );
  }

  static unknownField(table: string, field: string, known: readonly string[]): BotDbError {
    return new BotDbError(
      ErrorCode.UNKNOWN_FIELD,
      `Table "${table}" has no column "${field}". Columns are: ${known.join(', ')}.`,
    );
  }

  static unknownOperator(table: string, field: string, op: string): BotDbError {
    return new BotDbError(
      ErrorCode.UNKNOWN_OPERATOR,
      `Unknown filter operator "${op}" on ${table}.${field}. ` +
        'Use a plain value for equality, null for IS NULL, or one of $gt $gte $lt $lte $ne $in $nin.',
    );
  }

  static badValue(table: string, field: string, expected: string, got: unknown): BotDbError {
    return new BotDbError(
      ErrorCode.BAD_VALUE,
      `Bad value for ${table}.${field}: expected ${expected}, got ${describe(got)}.`,
    );
  }

  static badQuery(message: string): BotDbError {
    return new BotDbError(ErrorCode.BAD_QUERY, message);
  }

  /** A data API call given an argument of the wrong shape (`get(E, null)`, a bigint `limit`). */
  static badArgument(what: string, expected: string, got: unknown): BotDbError {
    return new BotDbError(ErrorCode.BAD_QUERY, `Bad ${what}: expected ${expected}, got ${describe(got)}.`);
  }

  static closed(): BotDbError {
    return new BotDbError(ErrorCode.CLOSED, 'This botdb Database is closed. Create a new one with createDatabase().');
  }

  static missingPlugin(plugin: string, requires: string): BotDbError {
    return new BotDbError(
      ErrorCode.MISSING_PLUGIN,
      `Plugin "${plugin}" requires plugin "${requires}", which is not in config.plugins. ` +
        `Add an instance of it to config.plugins (order does not matter).`,
    );
  }

  static duplicatePlugin(plugin: string): BotDbError {
    return new BotDbError(
      ErrorCode.DUPLICATE_PLUGIN,
      `Plugin "${plugin}" is in config.plugins twice. Pass each plugin once.`,
    );
  }

  static inPlugin(plugin: string, hook: string, cause: unknown): BotDbError {
    if (cause instanceof BotDbError && cause.code !== ErrorCode.PLUGIN) {
      // A plugin that rethrows a coded error (e.g. a write rejected by the database) keeps its
      // code: callers branch on what went wrong, not on who noticed.
      return cause;
    }
    const msg = cause instanceof Error ? cause.message : String(cause);
    return new BotDbError(ErrorCode.PLUGIN, `Plugin "${plugin}" failed in hook "${hook}": ${msg}`, { cause });
  }

  /**
   * The connection was lost after COMMIT was sent and the outcome could not be found out
   * afterwards: the transaction may or may not have committed. Never retried by botdb.
   */
  static commitUnknown(cause: unknown): BotDbError {
    const msg = cause instanceof Error ? cause.message : String(cause);
    return new BotDbError(
      ErrorCode.COMMIT_UNKNOWN,
      `The connection was lost after COMMIT was sent (${msg}) and the server could not be asked whether it committed: ` +
        'the writes may or may not be stored. Read them back before writing them again.',
      { cause },
    );
  }

  /** Wraps an error the database driver raised, classifying constraint violations. */
  static fromDriver(sql: string, cause: unknown): BotDbError {
    if (cause instanceof BotDbError) return cause;
    let msg = cause instanceof Error ? cause.message : String(cause);
    // knex prefixes the driver's message with the statement, values inlined: keep values out
    // of error messages (they can be chat text), and keep the driver's own words.
    const cut = msg.lastIndexOf(' - ');
    if (cut >= 0 && /^\s*(select|insert|update|delete|with|begin|commit|create|alter|pragma)\b/i.test(msg)) msg = msg.slice(cut + 3);
    const constraint = /constraint|unique|not.null|violates/i.test(msg);
    return new BotDbError(
      constraint ? ErrorCode.CONSTRAINT : ErrorCode.QUERY,
      `${constraint ? 'Constraint violated' : 'Query failed'}: ${msg} (statement: ${shape(sql)})`,
      { cause },
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (value instanceof Date) return `Date ${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return 'a symbol';
  return `an object with keys [${Object.keys(value as object).slice(0, 8).join(', ')}]`;
}

function shape(sql: string): string {
  return sql.length > 200 ? `${sql.slice(0, 200)}…` : sql;
}
