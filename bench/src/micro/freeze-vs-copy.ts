/**
 * Why the cache freezes rows instead of copying them: cached rows must be immutable to callers,
 * either by freezing them once when they enter the cache or by copying them on every hit.
 * Measures both on a chat stream row (27 columns) and a recent-messages list (20 rows of 39),
 * with hits outnumbering fills as they do in a cache with a high hit rate.
 *
 *   pnpm --filter @botdb/bench exec node --import tsx src/micro/freeze-vs-copy.ts
 */
import { ChatStreams, Messages, resolveEntity } from '@botdb/core';

function sampleRow(entity: unknown): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of resolveEntity(entity).table.columns) {
    row[c.name] = c.kind === 'text' ? `value of ${c.name}` : c.kind === 'boolean' ? true : c.kind === 'datetime' ? new Date() : 42.5;
  }
  return row;
}

const HITS_PER_FILL = 20;
const ROUNDS = 5_000;

function measure(label: string, rows: () => Record<string, unknown>[]): void {
  // The rows are built beforehand (what the database read costs is common to both); only
  // freezing (once per fill) and copying (on every hit) are timed.
  const forFreeze = Array.from({ length: ROUNDS }, rows);
  const forCopy = Array.from({ length: ROUNDS }, rows);
  let sink = 0;
  let t = performance.now();
  for (const value of forFreeze) {
    for (const r of value) Object.freeze(r);
    Object.freeze(value);
    for (let h = 0; h < HITS_PER_FILL; h++) sink += value.length;
  }
  const freezeMs = performance.now() - t;
  t = performance.now();
  for (const value of forCopy) {
    for (let h = 0; h < HITS_PER_FILL; h++) sink += value.map((r) => ({ ...r })).length;
  }
  const copyMs = performance.now() - t;
  const perHit = (ms: number) => ((ms / (ROUNDS * HITS_PER_FILL)) * 1000).toFixed(3);
  console.log(`${label.padEnd(22)} freeze ${perHit(freezeMs)} µs/hit   copy ${perHit(copyMs)} µs/hit   copy/freeze ${(copyMs / freezeMs).toFixed(0)}x   (${sink > 0 ? 'ok' : ''})`);
}

const stream = sampleRow(ChatStreams);
const message = sampleRow(Messages);
for (let rep = 0; rep < 3; rep++) {
  measure('chat stream (1 row)', () => [{ ...stream }]);
  measure('recent messages (20)', () => Array.from({ length: 20 }, () => ({ ...message })));
}
