/**
 * Every SQL statement botdb or MikroORM ran (core's `query` hook, which core feeds from its own
 * statements and from MikroORM's query logger, so a user's `em` work is included): duration,
 * failures, and slow statements with one structured log entry each.
 */
import type { Registry } from 'prom-client';
import { Stage, type Hooks } from '@botdb/core';
import { PLUGIN_NAME } from '../name.js';
import type { ResolvedMonitoringOptions } from '../options.js';
import type { Reservoir } from '../stats/reservoir.js';
import { FastCounter, FastHistogram } from './fast.js';
import { StatementClassifier, statementShape } from '../stats/sql.js';

/** One statement as core's `query` hook reports it. */
export type QueryEvent = Parameters<Hooks['query']['call']>[0];

/** The statement metrics of one database. */
export class StatementMetrics {
  private readonly duration: FastHistogram;
  private readonly failures: FastCounter;
  private readonly slow: FastCounter;
  private readonly classifier = new StatementClassifier();
  /** Plain counts for `getStats`. */
  readonly counts = { total: 0, failed: 0, slow: 0 };

  constructor(
    registry: Registry,
    private readonly options: Pick<ResolvedMonitoringOptions, 'durationBuckets' | 'slowStatementMs' | 'logger'>,
    private readonly latency: Reservoir,
  ) {
    const labelNames = ['source', 'entity', 'verb'] as const;
    this.duration = new FastHistogram(registry, {
      name: 'botdb_statement_duration_seconds',
      help: 'Duration of every SQL statement, by source (botdb: the data API; mikro-orm: EntityManager work), entity and verb, in seconds.',
      labelNames,
      buckets: options.durationBuckets,
    });
    this.failures = new FastCounter(registry, {
      name: 'botdb_statement_failures_total',
      help: 'SQL statements the database rejected, by source, entity and verb.',
      labelNames,
    });
    this.slow = new FastCounter(registry, {
      name: 'botdb_slow_statements_total',
      help: 'SQL statements that took at least the slowStatementMs threshold, by source, entity and verb (each is also logged once).',
      labelNames,
    });
  }

  /** Taps core's `query` hook. */
  attach(hooks: Hooks): void {
    hooks.query.tap({ name: PLUGIN_NAME, stage: Stage.MONITOR }, (event) => this.record(event));
  }

  private record(event: QueryEvent): void {
    const { verb, entity } = this.classifier.classify(event.sql, event.entity);
    const source = event.source;
    const ms = Number.isFinite(event.durationMs) && event.durationMs > 0 ? event.durationMs : 0;
    this.duration.observe(ms / 1000, source, entity, verb);
    this.latency.record(ms);
    this.counts.total++;
    if (event.failed) {
      this.failures.inc(source, entity, verb);
      this.counts.failed++;
    }
    if (ms >= this.options.slowStatementMs) {
      this.slow.inc(source, entity, verb);
      this.counts.slow++;
      this.log(event, entity, ms);
    }
  }

  private log(event: QueryEvent, entity: string, ms: number): void {
    try {
      this.options.logger({
        msg: 'botdb slow statement',
        statement: statementShape(event.sql),
        durationMs: Math.round(ms * 1000) / 1000,
        thresholdMs: this.options.slowStatementMs,
        source: event.source,
        entity,
        failed: event.failed,
      });
    } catch {
      // The query hook runs inside core's statement path: a failing log sink must not turn a
      // statement that succeeded into an error for the caller.
    }
  }
}
