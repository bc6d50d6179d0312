/**
 * The errors `@botdb/monitoring` throws. Every one is a `BotDbError` with one of core's stable
 * codes; the message names the option or call at fault and how to fix it.
 */
import { BotDbError, ErrorCode } from '@botdb/core';

/** Errors of the monitoring plugin, built by static factories. */
export class MonitoringError extends BotDbError {
  override readonly name: string = 'MonitoringError';

  /** An option of `new MonitoringPlugin(options)` has a bad value (`BOTDB_ERR_CONFIG`). */
  static badOption(option: string, expected: string, got: unknown, fix: string): MonitoringError {
    return new MonitoringError(
      ErrorCode.CONFIG,
      `Invalid MonitoringPlugin option "${option}": expected ${expected}, got ${describe(got)}. ${fix}`,
    );
  }

  /** The standalone /metrics server could not listen (`BOTDB_ERR_CONFIG`: port in use, bad host). */
  static listenFailed(host: string, port: number, cause: unknown): MonitoringError {
    const msg = cause instanceof Error ? cause.message : String(cause);
    return new MonitoringError(
      ErrorCode.CONFIG,
      `MonitoringPlugin could not serve /metrics on ${host}:${port}: ${msg}. ` +
        'Choose a free port with the "port" option (0 picks one), or omit "port" and mount ' +
        'MonitoringPlugin.handler(db) in your own HTTP server.',
      { cause },
    );
  }

  /** A static call was given a database without a MonitoringPlugin (`BOTDB_ERR_MISSING_PLUGIN`). */
  static notConfigured(call: string): MonitoringError {
    return new MonitoringError(
      ErrorCode.MISSING_PLUGIN,
      `MonitoringPlugin.${call}(db) was called with a database that has no MonitoringPlugin. ` +
        'Create the database with createDatabase({ plugins: [new MonitoringPlugin()] }).',
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'function') return 'a function';
  return `an object with keys [${Object.keys(value as object).slice(0, 8).join(', ')}]`;
}
