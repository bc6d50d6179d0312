/**
 * Errors by code. Two sources, each error counted once:
 *
 * - the pipeline: an `error` interceptor on every core hook sees each error a tap raised or
 *   rejected with (a plugin failure, `BOTDB_ERR_PLUGIN`, or a coded error passed through, e.g. a
 *   batched write's own `BOTDB_ERR_CONSTRAINT`); `origin` is the hook;
 * - the application: `MonitoringPlugin.recordError(db, err)` for errors it caught from the data
 *   API (core throws a direct read's or write's database error after the hooks, where no
 *   interceptor sees it); `origin` is `app`.
 *
 * An error object seen by both (a batched write's rejection the app catches and reports) counts
 * once. Failed SQL statements are counted separately in `botdb_statement_failures_total`, whose
 * source is the statement itself, whoever caught the error.
 */
import { Counter, type Registry } from 'prom-client';
import type { Hooks } from '@botdb/core';
import type { Tally } from '../stats/tally.js';
import { PLUGIN_NAME } from '../name.js';

/** The `code` label of an error: its botdb code, or `other` for anything else. */
export function errorCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^BOTDB_ERR_[A-Z_]+$/.test(code) ? code : 'other';
}

/** The error metric of one database. */
export class FailureMetrics {
  private readonly errors: Counter<'code' | 'origin'>;
  private readonly seen = new WeakSet<object>();

  constructor(
    registry: Registry,
    private readonly byCode: Tally,
  ) {
    this.errors = new Counter({
      name: 'botdb_errors_total',
      help: 'Errors by botdb error code (other for uncoded ones) and origin: the hook that raised them, or app for errors the application reported with MonitoringPlugin.recordError.',
      labelNames: ['code', 'origin'],
      registers: [registry],
    });
  }

  /**
   * Intercepts errors on every core hook (all of them, so a hook core adds later is covered too),
   * and counts every data API call that rejects (`failed`: validation, database and plugin
   * errors alike) under origin `data-api`, once per error object.
   */
  attach(hooks: Hooks): void {
    for (const [name, hook] of Object.entries(hooks)) {
      (hook as { intercept(i: { error: (err: Error) => void }): void }).intercept({ error: (err) => this.record(err, name) });
    }
    hooks.failed.tap(PLUGIN_NAME, (event) => {
      this.record(event.error, 'data-api');
    });
  }

  /** Counts `err` once under its code; returns whether it was new. */
  record(err: unknown, origin: string): boolean {
    if (typeof err === 'object' && err !== null) {
      if (this.seen.has(err)) return false;
      this.seen.add(err);
    }
    const code = errorCode(err);
    this.errors.inc({ code, origin });
    this.byCode.add(code);
    return true;
  }
}
