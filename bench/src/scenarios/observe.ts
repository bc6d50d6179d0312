/** Observers for botdb cases: who answered each read, and how many statements ran. */
import type { Database } from '@botdb/core';
import { isTransactionControl } from '@botdb/example-chat-sim';

/** Counts reads by the layer that answered them (`db`, `l1`, ...); the object fills in live. */
export function answeredBy(db: Database): Record<string, number> {
  const counts: Record<string, number> = {};
  db.pipeline.hooks.afterRead.tap('bench', (_ctx, result) => {
    counts[result.source] = (counts[result.source] ?? 0) + 1;
  });
  return counts;
}

/** Counts the data statements botdb and MikroORM run for `db` (the core `query` hook; BEGIN/COMMIT excluded). */
export function statementCounter(db: Database): { total: number } {
  const counter = { total: 0 };
  db.pipeline.hooks.query.tap('bench', (e) => {
    if (!isTransactionControl(e.sql)) counter.total++;
  });
  return counter;
}
