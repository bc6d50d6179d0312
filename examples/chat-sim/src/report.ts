/** The simulator's terminal output: the header, the live progress line and the final summary. */
import type { Database } from '@botdb/core';
import type { SimOptions } from './options.js';
import { batchingRate, cacheHitRate, type PluginName } from './plugins.js';
import type { DriveSnapshot } from './run/drive.js';
import { fmtInt, fmtMs, fmtPct, fmtRate, textTable } from './run/format.js';
import type { SimReport } from './sim.js';
import { TURN_OPS, totalWrites } from './turn.js';

/** The seed plan's targets (docs: seed/database-refactor-plan, "performance acceptance"). */
export const SEED_PLAN_TARGETS = Object.freeze({ readP95Ms: 15, hitRate: 0.8, writesPerS: 500, batchingRate: 0.8 });

/** The one-line description of the run's shape. */
export function describeRun(o: Readonly<SimOptions>): string {
  const load = o.mode === 'open' ? `open loop at ${fmtRate(o.rate)} turns/s (Poisson arrivals)` : `closed loop, ${o.concurrency} turns in flight`;
  return `${o.durationS} s, ${load}`;
}

/** The workload line. */
export function describeWorkload(o: Readonly<SimOptions>): string {
  const groups = Math.round(o.chats * o.groupShare);
  return (
    `${o.chats} chats (${groups} groups of ${o.membersPerGroup} active members, ${o.chats - groups} private), ${fmtInt(o.people)} people, ${o.emojis} emoji, ` +
    `${o.historyPerChat} messages of history per chat; Zipf chat skew ${o.chatSkew}, sender skew ${o.senderSkew}; ` +
    `replies (LLM row + action) in ${fmtPct(o.replyShare, 0)} of turns, emoji lookups in ${fmtPct(o.emojiShare, 0)}; context = last ${o.recentLimit} messages`
  );
}

/** Why a plugin stat is missing, for "n/a (...)". */
function naReason(report: Pick<SimReport, 'plugins'>, plugin: PluginName): string {
  if (report.plugins.unavailable[plugin] !== undefined) return 'n/a (plugin not installed)';
  if (report.plugins.off.includes(plugin)) return 'n/a (plugin off)';
  return 'n/a (plugin publishes no such stat)';
}

/** The live progress line. */
export function progressLine(snap: DriveSnapshot, db: Database): string {
  const rate = snap.intervalMs > 0 ? (snap.intervalTurns * 1000) / snap.intervalMs : 0;
  const p95 = snap.interval.count > 0 ? snap.interval.percentiles().p95 : NaN;
  const hit = cacheHitRate(db);
  const batching = batchingRate(db);
  return (
    `${(snap.elapsedMs / 1000).toFixed(0).padStart(3)} s  ${fmtRate(rate).padStart(6)} turns/s  p95 ${fmtMs(p95).padStart(6)} ms  ` +
    `hit rate ${fmtPct(hit)}  batching ${fmtPct(batching)}  ` +
    `turns ${fmtInt(snap.turns)}  in flight ${snap.inFlight}${snap.errors ? `  errors ${snap.errors}` : ''}${snap.dropped ? `  dropped ${fmtInt(snap.dropped)}` : ''}`
  );
}

function check(ok: boolean | undefined): string {
  return ok === undefined ? '–' : ok ? 'met' : 'NOT met';
}

/** The final summary. */
export function summary(r: SimReport): string {
  const secs = r.drive.elapsedMs / 1000;
  const turnsPerS = r.drive.turns / secs;
  const writes = totalWrites(r.writes);
  const writesPerS = writes / secs;
  const out: string[] = [];
  out.push('');
  out.push(`chat-sim summary (${describeRun(r.options)}${r.stoppedEarly ? ', stopped early by a signal' : ''}; ${r.dialect}, ${r.where})`);
  out.push(`  plugins     ${r.plugins.active.length ? r.plugins.active.join(', ') : 'none'}` + (Object.keys(r.plugins.unavailable).length ? `; not installed: ${Object.keys(r.plugins.unavailable).join(', ')}` : '') + (r.plugins.off.length ? `; off: ${r.plugins.off.join(', ')}` : ''));
  out.push(`  turns       ${fmtInt(r.drive.turns)} in ${secs.toFixed(1)} s = ${fmtRate(turnsPerS)} turns/s` + `  ·  errors ${fmtInt(r.drive.errors)}` + (r.options.mode === 'open' ? `  ·  dropped ${fmtInt(r.drive.dropped)}` : ''));
  out.push(`  writes      ${fmtInt(writes)} acknowledged = ${fmtRate(writesPerS)} writes/s (messages ${fmtInt(r.writes.messages)}, stream updates ${fmtInt(r.writes.streamUpdates)}, llm_usage ${fmtInt(r.writes.llmUsage)}, actions ${fmtInt(r.writes.actions)})`);
  out.push('');
  const rows: string[][] = [['operation', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms']];
  for (const op of ['turn', ...(r.options.mode === 'open' ? ['turn.response'] : []), ...TURN_OPS]) {
    const p = r.ops[op];
    if (!p) continue;
    rows.push([op === 'turn.response' ? 'turn (from arrival)' : op, fmtInt(p.count), fmtMs(p.p50), fmtMs(p.p95), fmtMs(p.p99), fmtMs(p.max)]);
  }
  rows.push(['all reads', fmtInt(r.reads.count), fmtMs(r.reads.p50), fmtMs(r.reads.p95), fmtMs(r.reads.p99), fmtMs(r.reads.max)]);
  out.push(textTable(rows, '  '));
  out.push('');
  const answered = Object.values(r.answeredBy).reduce((a, b) => a + b, 0);
  out.push(`  statements per turn  ${r.drive.turns ? (r.statements.total / r.drive.turns).toFixed(2) : 'n/a'}  (${fmtInt(r.statements.total)} SQL statements${r.statements.failed ? `, ${r.statements.failed} failed` : ''}; transaction BEGIN/COMMIT not counted)`);
  out.push(`  reads answered by    ${answered ? Object.entries(r.answeredBy).map(([k, v]) => `${k} ${fmtPct(v / answered)}`).join(', ') : 'n/a'}`);
  out.push(`  hit rate             ${r.hitRate === undefined ? naReason(r, 'cache') : fmtPct(r.hitRate)}  (all reads; the recent messages are kept up to date in the cache as each turn inserts one)`);
  if (r.lookupHitRate) out.push(`  lookup hit rate      ${fmtPct(r.lookupHitRate.all)} of stream/person/emoji lookups, ${fmtPct(r.lookupHitRate.warm)} after warm-up`);
  out.push(`  batching rate        ${r.batchingRate === undefined ? naReason(r, 'batch') : fmtPct(r.batchingRate)}`);
  out.push(`  close (drain)        ${fmtMs(r.closeMs)} ms`);
  if (r.metricsUrl) out.push(`  metrics              were served at ${r.metricsUrl}`);
  out.push('');
  const t = SEED_PLAN_TARGETS;
  const targets: string[][] = [
    ['seed-plan target', 'measured', ''],
    [`read p95 < ${t.readP95Ms} ms`, `${fmtMs(r.reads.p95)} ms`, check(Number.isFinite(r.reads.p95) ? r.reads.p95 < t.readP95Ms : undefined)],
    [`hit rate > ${t.hitRate * 100} %`, r.hitRate === undefined ? 'n/a' : fmtPct(r.hitRate), check(r.hitRate === undefined ? undefined : r.hitRate > t.hitRate)],
    [`writes > ${t.writesPerS}/s`, `${fmtRate(writesPerS)}/s`, check(writesPerS > t.writesPerS) + (r.options.mode === 'open' && writesPerS <= t.writesPerS ? ' (open loop: raise --rate or use --mode closed)' : '')],
    [`batching > ${t.batchingRate * 100} %`, r.batchingRate === undefined ? 'n/a' : fmtPct(r.batchingRate), check(r.batchingRate === undefined ? undefined : r.batchingRate > t.batchingRate)],
  ];
  out.push(textTable(targets, '  '));
  out.push('');
  out.push('  consistency: rows in the database (counted after close, without plugins) vs writes acknowledged');
  const cons: string[][] = [['check', 'acknowledged', 'in database', '']];
  for (const c of r.consistency) cons.push([c.what, fmtInt(c.expected), `${c.actual >= 0 ? '+' : ''}${fmtInt(c.actual)}`, c.ok ? 'ok' : 'MISMATCH']);
  out.push(textTable(cons, '  '));
  const ok = r.consistency.every((c) => c.ok);
  out.push(`  => ${ok ? 'consistent' : 'INCONSISTENT'}${r.drive.errors ? `; ${r.drive.errors} turns failed` : ''}`);
  if (r.errorSamples.length) {
    out.push('  first errors:');
    for (const e of r.errorSamples) out.push(`    ${e}`);
  }
  return out.join('\n');
}
