/**
 * The chaos suite: runs each scenario, prints per scenario its rounds, writes acknowledged,
 * writes lost, duplicates, stale reads and worst event-loop stall, and exits non-zero if any
 * guarantee broke.
 *
 *   pnpm test:chaos                 short (CI): a few rounds each, a few minutes in all
 *   pnpm test:chaos --long          more rounds
 *   pnpm test:chaos --only lock     scenarios whose key contains "lock"
 *
 * PostgreSQL scenarios need BOTDB_PG_URL (the kill and COMMIT-reply scenarios use that server
 * with schemas of their own; the restart scenario starts a private cluster and never touches
 * it). Nothing here stops or restarts a server other programs use.
 */
import { commitReply } from './scenarios/commit-reply.js';
import { diskFull } from './scenarios/disk-full.js';
import { fuzz } from './scenarios/fuzz.js';
import { kill } from './scenarios/kill.js';
import { memory } from './scenarios/memory.js';
import { pgRestart } from './scenarios/pg-restart.js';
import { redisRestart } from './scenarios/redis-restart.js';
import { sqliteLock } from './scenarios/sqlite-lock.js';
import type { Mode, Outcome, Scenario } from './scenario.js';

const SCENARIOS: readonly (readonly [string, Scenario])[] = [
  ['kill', kill],
  ['pg-restart', pgRestart],
  ['commit-reply', commitReply],
  ['redis', redisRestart],
  ['lock', sqliteLock],
  ['disk-full', diskFull],
  ['memory', memory],
  ['fuzz', fuzz],
];

const args = process.argv.slice(2);
const mode: Mode = args.includes('--long') ? 'long' : 'short';
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

const fmt = (n: number | undefined, digits = 0): string => (n === undefined ? '-' : n.toFixed(digits));

interface Row {
  key: string;
  scenario: Scenario;
  outcome: Outcome;
  seconds: number;
  broken: boolean;
}

const rows: Row[] = [];
const began = performance.now();
console.log(`botdb chaos suite (${mode})\n`);
for (const [key, scenario] of SCENARIOS) {
  if (only !== undefined && !key.includes(only)) continue;
  console.log(`== ${key}: ${scenario.name}`);
  const t0 = performance.now();
  let o: Outcome;
  try {
    o = await scenario.run(mode);
  } catch (e) {
    o = { rounds: 0, acked: 0, lost: 0, duplicates: 0, checks: [{ name: 'scenario ran', ok: false, detail: e instanceof Error ? (e.stack ?? e.message) : String(e) }], notes: [] };
  }
  const seconds = (performance.now() - t0) / 1000;
  if (o.skipped !== undefined) {
    console.log(`   skipped: ${o.skipped}\n`);
    rows.push({ key, scenario, outcome: o, seconds, broken: false });
    continue;
  }
  for (const n of o.notes) console.log(`   ${n}`);
  for (const c of o.checks) console.log(`   ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  const broken = o.checks.some((c) => !c.ok);
  console.log(
    `   rounds ${o.rounds}, acknowledged ${o.acked}, lost ${o.lost}, duplicates ${o.duplicates}, stale reads ${fmt(o.staleReads)}, ` +
      `worst stall ${o.stallMs === undefined ? '-' : `${fmt(o.stallMs, 1)} ms`}, ${seconds.toFixed(1)} s\n`,
  );
  rows.push({ key, scenario, outcome: o, seconds, broken });
}

console.log('scenario       result   rounds  acked  lost  dup  stale  stall ms  seconds');
for (const r of rows) {
  const o = r.outcome;
  const result = o.skipped !== undefined ? 'skipped' : r.broken ? 'BROKEN' : 'ok';
  console.log(
    `${r.key.padEnd(14)} ${result.padEnd(8)} ${String(o.rounds).padStart(6)} ${String(o.acked).padStart(6)} ${String(o.lost).padStart(5)} ` +
      `${String(o.duplicates).padStart(4)} ${fmt(o.staleReads).padStart(6)} ${fmt(o.stallMs, 1).padStart(9)} ${r.seconds.toFixed(1).padStart(8)}`,
  );
}
const broken = rows.filter((r) => r.broken);
console.log(`\n${rows.length} scenarios, ${broken.length} broken, ${rows.filter((r) => r.outcome.skipped !== undefined).length} skipped, ${((performance.now() - began) / 1000).toFixed(0)} s`);
process.exit(broken.length > 0 ? 1 : 0);
