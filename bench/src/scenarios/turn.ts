/**
 * The chat turn, closed loop: `turnConcurrency` turns in flight over the simulator's default
 * world. botdb runs the simulator's own `chatTurn`; the baseline is the same turn hand-written
 * on plain MikroORM. Implementations take turns round-robin on one seeded database: each
 * repetition opens the implementation, warms it up, measures, and closes it (botdb's turn uses
 * compat's `store_action_info`, whose default instance is one database at a time). Quick mode
 * opens each implementation once and runs its repetitions back to back.
 */
import {
  LatencyRecorder,
  PLUGIN_NAMES,
  READ_OPS,
  TrafficDriver,
  batchingRate,
  chatTurn,
  closeTurnDatabase,
  emptyWriteCounts,
  openTurnDatabase,
  percentilesOf,
  pluginStats,
  totalWrites,
  type PluginName,
  type TurnFn,
  type World,
} from '@botdb/example-chat-sim';
import { mikroOrmTurn, openMikroOrm } from '../baselines/mikro-orm.js';
import { fixture, missingPlugins, notAvailable, pluginsFor, type BenchContext, type CaseResult } from '../context.js';
import { summarize, type Rep } from '../harness.js';
import type { Fixture, Target } from '../targets.js';
import { statementCounter } from './observe.js';

/** An implementation of the turn, opened fresh for each repetition. */
interface TurnImpl {
  readonly id: string;
  readonly label: string;
  readonly plugins?: readonly PluginName[];
  open(f: Fixture): Promise<OpenTurn>;
}

interface OpenTurn {
  readonly turn: TurnFn;
  readonly statements: () => number;
  /** Reads who answered reads and plugin stats; call before `close`. */
  readonly facts: () => Record<string, unknown>;
  close(): Promise<void>;
}

const MIKRO_ORM: TurnImpl = {
  id: 'mikro-orm',
  label: 'MikroORM, hand-written turn (fork, findOne, persist, flush)',
  async open(f) {
    const m = await openMikroOrm(f);
    const recentLimit = f.world.options.recentLimit;
    return { turn: (ev, rec, w) => mikroOrmTurn(m.orm, ev, rec, w, recentLimit), statements: () => m.statements.total, facts: () => ({}), close: () => m.close() };
  },
};

function botdbImpl(ctx: BenchContext, id: string, label: string, plugins: readonly PluginName[]): TurnImpl {
  return {
    id,
    label,
    plugins,
    async open(f) {
      const db = await openTurnDatabase({ ...f.config, plugins: await pluginsFor(ctx, plugins) });
      const statements = statementCounter(db);
      const answered: Record<string, number> = {};
      db.pipeline.hooks.afterRead.tap('bench', (_ctx, result) => {
        answered[result.source] = (answered[result.source] ?? 0) + 1;
      });
      const recentLimit = f.world.options.recentLimit;
      // Freshness floors start empty per open: earlier implementations' increments are not tracked.
      const floors = new Map<string, number>();
      return {
        turn: (ev, rec, w) => chatTurn(db, ev, rec, w, { recentLimit, floors }),
        statements: () => statements.total,
        // Since the previous call: runImpl calls it after the warm-up and after each measured rep.
        facts: () => {
          const since = { ...answered };
          for (const k of Object.keys(answered)) answered[k] = 0;
          const reads = Object.values(since).reduce((a, b) => a + b, 0);
          return {
            answeredBy: since,
            // Reads answered without the database, over every read of the turn (stream, person,
            // recent messages, emoji), counted by who answered each one.
            hitRate: plugins.includes('cache') && reads > 0 ? (reads - (since.db ?? 0)) / reads : null,
          batchingRate: batchingRate(db) ?? null,
            pluginStats: Object.fromEntries(plugins.map((p) => [p, pluginStats(db, p) ?? null])),
          };
        },
        close: () => closeTurnDatabase(db),
      };
    },
  };
}

/** The botdb plugin sets of the turn scenario. */
export const TURN_CASES: readonly { id: string; label: string; plugins: readonly PluginName[] }[] = [
  { id: 'botdb', label: 'botdb, no plugins', plugins: [] },
  { id: 'botdb-cache', label: 'botdb + cache', plugins: ['cache'] },
  { id: 'botdb-cache-batch', label: 'botdb + cache + batch', plugins: ['cache', 'batch'] },
  { id: 'botdb-all', label: `botdb, all plugins (${PLUGIN_NAMES.join(', ')})`, plugins: PLUGIN_NAMES },
];

interface RepFacts {
  readonly rep: Rep;
  readonly turns: number;
  readonly errors: number;
  readonly writes: number;
  readonly elapsedMs: number;
  readonly statements: number;
  readonly rec: LatencyRecorder;
  readonly facts: Record<string, unknown>;
  readonly firstError?: string;
}

/** Closed-loop traffic through `turn` for `ms`. */
async function trafficRep(ctx: BenchContext, world: World, turn: TurnFn, ms: number): Promise<{ rec: LatencyRecorder; turns: number; errors: number; writes: number; elapsedMs: number; firstError?: string }> {
  const rec = new LatencyRecorder();
  const w = emptyWriteCounts();
  let firstError: string | undefined;
  const driver = new TrafficDriver({
    mode: 'closed',
    rate: 1,
    concurrency: ctx.turnConcurrency,
    durationMs: ms,
    next: () => world.next(),
    turn,
    rec,
    writes: w,
    onError: (e) => (firstError ??= e instanceof Error ? e.message : String(e)),
  });
  const r = await driver.run();
  return { rec, turns: r.turns, errors: r.errors, writes: totalWrites(w), elapsedMs: r.elapsedMs, firstError };
}

/** Open, warm up, measure `count` repetitions, close. */
async function runImpl(ctx: BenchContext, f: Fixture, impl: TurnImpl, count: number): Promise<RepFacts[]> {
  const open = await impl.open(f);
  const out: RepFacts[] = [];
  try {
    if (ctx.turn.warmupMs > 0) await trafficRep(ctx, f.world, open.turn, ctx.turn.warmupMs);
    open.facts(); // counts start after the warm-up
    for (let i = 0; i < count; i++) {
      const before = open.statements();
      const t = await trafficRep(ctx, f.world, open.turn, ctx.turn.measureMs);
      const perS = (t.turns * 1000) / t.elapsedMs;
      const latency = t.rec.samples('turn')?.percentiles() ?? percentilesOf([]);
      out.push({ ...t, rep: { callsPerS: perS, perS, latency, calls: t.turns, elapsedMs: t.elapsedMs }, statements: open.statements() - before, facts: open.facts() });
    }
  } finally {
    await open.close();
  }
  return out;
}

function median(values: readonly number[]): number | null {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** The case's facts over its measured repetitions. */
function aggregate(reps: readonly RepFacts[]): Record<string, unknown> {
  const turns = reps.reduce((a, r) => a + r.turns, 0);
  const sum = (f: (r: RepFacts) => number) => reps.reduce((a, r) => a + f(r), 0);
  const reads: number[] = [];
  const ops = new Map<string, number[]>();
  for (const r of reps) {
    for (const op of READ_OPS) for (const v of r.rec.samples(op)?.values() ?? []) reads.push(v);
    for (const op of Object.keys(r.rec.summary())) {
      const list = ops.get(op) ?? [];
      for (const v of r.rec.samples(op)!.values()) list.push(v);
      ops.set(op, list);
    }
  }
  const answeredBy: Record<string, number> = {};
  for (const r of reps) for (const [k, v] of Object.entries((r.facts.answeredBy as Record<string, number> | undefined) ?? {})) answeredBy[k] = (answeredBy[k] ?? 0) + v;
  const numbers = (key: string) => reps.map((r) => r.facts[key]).filter((v): v is number => typeof v === 'number');
  const firstError = reps.find((r) => r.firstError)?.firstError;
  return {
    turns,
    errors: sum((r) => r.errors),
    ...(firstError ? { firstError } : {}),
    writesPerS: (sum((r) => r.writes) * 1000) / sum((r) => r.elapsedMs),
    statementsPerTurn: turns ? sum((r) => r.statements) / turns : null,
    readP95: percentilesOf(reads).p95,
    ops: Object.fromEntries([...ops].map(([op, v]) => [op, (({ count, p50, p95, p99 }) => ({ count, p50, p95, p99 }))(percentilesOf(v))])),
    ...(Object.keys(answeredBy).length ? { answeredBy } : {}),
    hitRate: median(numbers('hitRate')),
    batchingRate: median(numbers('batchingRate')),
    pluginStats: reps.at(-1)?.facts.pluginStats,
  };
}

export async function chatTurns(ctx: BenchContext, target: Target): Promise<CaseResult[]> {
  const base = { dialect: target.dialect, scenario: 'turn', unit: 'turns' } as const;
  const impls: TurnImpl[] = [MIKRO_ORM];
  const unavailable: CaseResult[] = [];
  for (const c of TURN_CASES) {
    const na = missingPlugins(ctx, c.plugins);
    if (na) unavailable.push(notAvailable({ ...base, id: c.id, label: c.label }, na));
    else impls.push(botdbImpl(ctx, c.id, c.label, c.plugins));
  }
  // One seeded database for every implementation: the world's message sequence goes on from
  // repetition to repetition, and the rows each adds do not change the picture.
  const f = await fixture(ctx, target, { seed: 42, ...(ctx.quick ? { historyPerChat: 20 } : {}) });
  const reps = new Map<string, RepFacts[]>(impls.map((i) => [i.id, []]));
  const record = (impl: TurnImpl, list: RepFacts[], round: string) => {
    reps.get(impl.id)!.push(...list);
    for (const x of list) ctx.log(`  turn ${round}: ${impl.label}: ${x.rep.perS.toFixed(0)} turns/s, p95 ${x.rep.latency.p95.toFixed(1)} ms${x.errors ? `, ${x.errors} errors` : ''}`);
  };
  try {
    if (ctx.quick) {
      // Smoke: one open per implementation, its repetitions back to back.
      for (const impl of impls) record(impl, await runImpl(ctx, f, impl, ctx.turn.reps), 'quick');
    } else {
      // Rounds, each implementation once per round, starting one further along each round.
      for (let r = 0; r < ctx.turn.reps; r++) {
        for (let k = 0; k < impls.length; k++) {
          const impl = impls[(r + k) % impls.length]!;
          record(impl, await runImpl(ctx, f, impl, 1), `round ${r + 1}/${ctx.turn.reps}`);
        }
      }
    }
  } finally {
    await f.dispose();
  }
  const measured: CaseResult[] = impls.map((impl) => {
    const list = reps.get(impl.id)!;
    return { ...base, id: impl.id, label: impl.label, status: 'ok', summary: summarize(list.map((x) => x.rep)), extra: aggregate(list) };
  });
  const order = ['mikro-orm', ...TURN_CASES.map((c) => c.id)];
  return [...measured, ...unavailable].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
}
