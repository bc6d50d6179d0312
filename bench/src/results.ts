/**
 * The results file: every case with its medians, its ratios to the baselines, and the goals the
 * issue set, each met, not met, or not measurable yet.
 */
import type { CaseResult, ScenarioId } from './context.js';

/** A goal and whether this run met it. */
export interface GoalResult {
  readonly id: string;
  readonly dialect: 'sqlite' | 'postgresql';
  readonly text: string;
  /** The measured value (a ratio, milliseconds, a rate), or null when not measurable. */
  readonly measured: number | null;
  readonly target: string;
  /** true / false, or null when a case it needs is n/a. */
  readonly met: boolean | null;
  readonly note?: string;
  /** Reference rows (the seed plan's targets) are shown, not required by the issue. */
  readonly reference?: boolean;
}

/** A case with its ratios. */
export interface CaseWithRatios extends CaseResult {
  /** Throughput relative to each baseline of its scenario (this / baseline). */
  readonly ratios: Readonly<Record<string, number | null>>;
  /** p95 relative to each baseline (this / baseline; lower is better). */
  readonly p95Ratios: Readonly<Record<string, number | null>>;
}

/** The whole results file. */
export interface BenchResults {
  readonly schema: 1;
  readonly generatedAt: string;
  readonly mode: 'quick' | 'full';
  readonly command: string;
  readonly durationS: number;
  readonly machine: Readonly<Record<string, unknown>>;
  readonly versions: Readonly<Record<string, string>>;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly plugins: Readonly<Record<string, true | string>>;
  readonly dialects: readonly ('sqlite' | 'postgresql')[];
  readonly cases: readonly CaseWithRatios[];
  readonly goals: readonly GoalResult[];
}

/** The baselines of each scenario: case id (before any `@limit` suffix) and display name. */
export const BASELINES: Readonly<Record<ScenarioId, readonly { id: string; name: string }[]>> = {
  'point-read': [
    { id: 'raw', name: 'raw' },
    { id: 'mikro-orm', name: 'MikroORM' },
  ],
  recent: [
    { id: 'raw', name: 'raw' },
    { id: 'mikro-orm', name: 'MikroORM' },
  ],
  insert: [
    { id: 'raw', name: 'raw' },
    { id: 'mikro-orm', name: 'MikroORM' },
  ],
  turn: [{ id: 'mikro-orm', name: 'MikroORM' }],
};

function suffix(id: string): string {
  const at = id.indexOf('@');
  return at < 0 ? '' : id.slice(at);
}

/** Adds ratios to the baselines of the same dialect, scenario and `@limit` variant. */
export function withRatios(cases: readonly CaseResult[]): CaseWithRatios[] {
  return cases.map((c) => {
    const ratios: Record<string, number | null> = {};
    const p95Ratios: Record<string, number | null> = {};
    for (const b of BASELINES[c.scenario]) {
      const base = cases.find((x) => x.dialect === c.dialect && x.scenario === c.scenario && x.id === b.id + suffix(c.id));
      const ok = base?.status === 'ok' && c.status === 'ok' && base.summary && c.summary;
      ratios[b.id] = ok ? c.summary!.perS / base.summary!.perS : null;
      p95Ratios[b.id] = ok ? c.summary!.p95 / base.summary!.p95 : null;
    }
    return { ...c, ratios, p95Ratios };
  });
}

function find(cases: readonly CaseWithRatios[], dialect: string, scenario: ScenarioId, id: string): CaseWithRatios | undefined {
  return cases.find((c) => c.dialect === dialect && c.scenario === scenario && c.id === id);
}

/** The goals and the seed plan's targets, per dialect. */
export function evaluateGoals(cases: readonly CaseWithRatios[], dialects: readonly ('sqlite' | 'postgresql')[]): GoalResult[] {
  const out: GoalResult[] = [];
  for (const d of dialects) {
    const botdb = find(cases, d, 'point-read', 'botdb');
    const raw = find(cases, d, 'point-read', 'raw');
    const vsMikro = botdb?.ratios['mikro-orm'] ?? null;
    out.push({ id: 'point-vs-mikro', dialect: d, text: 'uncached point read, db.get with no plugins, vs em.fork().findOne', measured: vsMikro, target: '≥ 5×', met: vsMikro === null ? null : vsMikro >= 5 });
    const rawOverBotdb = botdb?.summary && raw?.summary ? raw.summary.perS / botdb.summary.perS : null;
    out.push({ id: 'point-vs-raw', dialect: d, text: 'uncached point read, db.get with no plugins: raw driver is at most 3× faster', measured: rawOverBotdb, target: 'raw ≤ 3× botdb', met: rawOverBotdb === null ? null : rawOverBotdb <= 3 });

    // @botdb/cache's goals, on the point read.
    const l1 = find(cases, d, 'point-read', 'botdb-cache');
    const hitOk = l1?.status === 'ok' && l1.summary ? l1.summary : undefined;
    const hitP50 = hitOk ? hitOk.p50 * 1000 : null;
    const hitP95 = hitOk ? hitOk.p95 * 1000 : null;
    out.push({ id: 'l1-p50', dialect: d, text: 'L1 hit through db.get, p50 (µs)', measured: hitP50, target: '≤ 3 µs', met: hitP50 === null ? null : hitP50 <= 3 });
    out.push({ id: 'l1-p95', dialect: d, text: 'L1 hit through db.get, p95 (µs)', measured: hitP95, target: '≤ 8 µs', met: hitP95 === null ? null : hitP95 <= 8 });
    const resultCache = find(cases, d, 'point-read', 'mikro-orm-cache');
    const vsResultCache = hitOk && resultCache?.summary ? hitOk.perS / resultCache.summary.perS : null;
    out.push({ id: 'l1-vs-mikro-cache', dialect: d, text: "L1 hit vs MikroORM's result cache on the same lookup", measured: vsResultCache, target: '≥ 8×', met: vsResultCache === null ? null : vsResultCache >= 8 });
    const hitBatched = find(cases, d, 'point-read', 'botdb-cache-batched');
    const map = find(cases, d, 'point-read', 'map');
    const mapOverHit = hitBatched?.summary && map?.summary ? map.summary.perS / hitBatched.summary.perS : null;
    out.push({ id: 'l1-vs-map', dialect: d, text: 'L1 hit: Map.get is at most 10× faster (both timed in batches of 1000)', measured: mapOverHit, target: 'Map.get ≤ 10× botdb', met: mapOverHit === null ? null : mapOverHit <= 10 });

    // @botdb/batch's goals, on concurrent inserts.
    const batched = find(cases, d, 'insert', 'botdb-batch');
    const rawTx = find(cases, d, 'insert', 'raw-tx100');
    const vsRawTx = batched?.summary && rawTx?.summary ? batched.summary.perS / rawTx.summary.perS : null;
    out.push({ id: 'batch-vs-raw-tx', dialect: d, text: 'concurrent db.create through batch vs the raw driver in 100-row transactions (rows/s)', measured: vsRawTx, target: '≥ 0.8×', met: vsRawTx === null ? null : vsRawTx >= 0.8 });
    const vsPerRow = batched?.ratios['mikro-orm'] ?? null;
    out.push({ id: 'batch-vs-mikro', dialect: d, text: 'concurrent db.create through batch vs MikroORM persist + flush per row (rows/s)', measured: vsPerRow, target: '≥ 12×', met: vsPerRow === null ? null : vsPerRow >= 12 });

    // The maintained cache's goals: a miss costs little more than no cache at all.
    const perS = (c: CaseWithRatios | undefined) => (c?.status === 'ok' && c.summary ? c.summary.perS : null);
    const over = (a: number | null, b: number | null) => (a === null || b === null ? null : a / b);
    const missCost = over(perS(botdb), perS(find(cases, d, 'point-read', 'botdb-cache-miss')));
    out.push({ id: 'miss-point', dialect: d, text: 'cache miss (query and fill) vs db.get with no plugins, point read: time per read', measured: missCost, target: '≤ 1.1×', met: missCost === null ? null : missCost <= 1.1 });
    const missRecent = over(perS(find(cases, d, 'recent', 'botdb@20')), perS(find(cases, d, 'recent', 'botdb-cache-miss@20')));
    out.push({ id: 'miss-recent', dialect: d, text: 'cache miss (query and fill) vs db.get with no plugins, last 20 messages: time per read', measured: missRecent, target: '≤ 1.1×', met: missRecent === null ? null : missRecent <= 1.1 });

    const all = find(cases, d, 'turn', 'botdb-all');
    const allNa = all?.status !== 'ok' ? `botdb-all is n/a: ${all?.reason ?? 'not run'}` : undefined;
    const none = perS(find(cases, d, 'turn', 'botdb'));
    const withCache = over(perS(find(cases, d, 'turn', 'botdb-cache')), none);
    out.push({ id: 'turn-cache', dialect: d, text: 'chat turn, cache vs no plugins (turns/s)', measured: withCache, target: '≥ 1.5×', met: withCache === null ? null : withCache >= 1.5 });
    const withCacheBatch = over(perS(find(cases, d, 'turn', 'botdb-cache-batch')), none);
    out.push({ id: 'turn-cache-batch', dialect: d, text: 'chat turn, cache + batch vs no plugins (turns/s)', measured: withCacheBatch, target: '≥ 2×', met: withCacheBatch === null ? null : withCacheBatch >= 2 });
    const turnRatio = all?.ratios['mikro-orm'] ?? null;
    const turnTarget = d === 'sqlite' ? 8 : 5;
    out.push({ id: 'turn-throughput', dialect: d, text: 'chat turn, all plugins, turns/s vs the hand-written MikroORM turn', measured: turnRatio, target: `≥ ${turnTarget}×`, met: turnRatio === null ? null : turnRatio >= turnTarget, note: allNa });
    const p95Ratio = all?.p95Ratios['mikro-orm'] ?? null;
    out.push({ id: 'turn-p95', dialect: d, text: 'chat turn, all plugins, p95 vs the hand-written MikroORM turn', measured: p95Ratio, target: '≤ 1/4 (0.25×)', met: p95Ratio === null ? null : p95Ratio <= 1 / 4, note: allNa });
    const turnHit = all?.status === 'ok' && typeof all.extra?.hitRate === 'number' ? all.extra.hitRate : null;
    out.push({ id: 'turn-hit-rate', dialect: d, text: 'chat turn, all plugins: reads answered from memory, over all reads of the measured turns', measured: turnHit, target: '≥ 95 %', met: turnHit === null ? null : turnHit >= 0.95, note: allNa });

    // The seed plan's acceptance targets, for reference, on the all-plugins turn.
    const e = (all?.status === 'ok' ? all.extra : undefined) ?? {};
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    const readP95 = num(e.readP95);
    const hit = num(e.hitRate);
    const wps = num(e.writesPerS);
    const batching = num(e.batchingRate);
    const ref = { dialect: d, reference: true, note: allNa } as const;
    out.push({ ...ref, id: 'seed-read-p95', text: 'seed plan: read p95 (all-plugins turn)', measured: readP95, target: '< 15 ms', met: readP95 === null ? null : readP95 < 15 });
    out.push({ ...ref, id: 'seed-hit-rate', text: 'seed plan: cache hit rate (all-plugins turn)', measured: hit, target: '> 80 %', met: hit === null ? null : hit > 0.8 });
    out.push({ ...ref, id: 'seed-writes', text: 'seed plan: writes/s (all-plugins turn)', measured: wps, target: '> 500/s', met: wps === null ? null : wps > 500 });
    out.push({ ...ref, id: 'seed-batching', text: 'seed plan: batching rate (all-plugins turn)', measured: batching, target: '> 80 %', met: batching === null ? null : batching > 0.8 });
  }
  return out;
}
