/** What every scenario gets: timing, plugin availability, and where to log. */
import type { BotDbPlugin } from '@botdb/core';
import { makePlugins, type PluginName } from '@botdb/example-chat-sim';
import type { WorkloadOptions } from '@botdb/example-chat-sim';
import { interleave, type Rep, type Summary, type Timing } from './harness.js';
import type { Fixture, Target } from './targets.js';

/** The scenarios, in report order. */
export const SCENARIOS = ['point-read', 'recent', 'insert', 'turn'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

/** Settings and shared state of one bench run. */
export interface BenchContext {
  readonly quick: boolean;
  /** Timing of the micro scenarios (reads, inserts). */
  readonly micro: Timing;
  /** Timing of the chat-turn scenario. */
  readonly turn: Timing;
  /** Closed-loop turns in flight in the turn scenario. */
  readonly turnConcurrency: number;
  /** Concurrent callers in the concurrent-insert cases. */
  readonly writers: number;
  /** Which plugin packages load (`true`), or why not. */
  readonly availability: Readonly<Record<string, true | string>>;
  readonly metricsPort: number;
  readonly log: (message: string) => void;
}

/** One measured (or not measurable) case. */
export interface CaseResult {
  readonly dialect: 'sqlite' | 'postgresql';
  readonly scenario: ScenarioId;
  /** Stable id within the scenario, e.g. `raw`, `mikro-orm`, `botdb-cache`. */
  readonly id: string;
  readonly label: string;
  readonly unit: 'reads' | 'rows' | 'turns';
  readonly status: 'ok' | 'n/a';
  /** Why a case is n/a. */
  readonly reason?: string;
  readonly summary?: Summary;
  /** Case-specific facts: statements per turn, hit rate, who answered reads, ... */
  readonly extra?: Record<string, unknown>;
}

/** The reason a case cannot run, if one of its plugins is not installed. */
export function missingPlugins(ctx: BenchContext, names: readonly PluginName[]): string | undefined {
  const missing = names.filter((n) => ctx.availability[n] !== true);
  return missing.length ? `plugin not installed: ${missing.join(', ')}` : undefined;
}

/** Fresh plugin instances for one database. */
export function pluginsFor(ctx: BenchContext, names: readonly PluginName[]): Promise<BotDbPlugin[]> {
  return makePlugins([...names], { monitoring: { port: ctx.metricsPort }, notice: ctx.log });
}

/** An n/a result. */
export function notAvailable(base: Pick<CaseResult, 'dialect' | 'scenario' | 'id' | 'label' | 'unit'>, reason: string): CaseResult {
  return { ...base, status: 'n/a', reason };
}

/** A fresh fixture on `target`, logging what seeding took. */
export async function fixture(ctx: BenchContext, target: Target, workload: Partial<WorkloadOptions>): Promise<Fixture> {
  const t = performance.now();
  const f = await target.fixture(workload);
  const o = f.world.options;
  ctx.log(`  fixture: ${o.chats} chats, ${o.people} people, ${o.chats * o.historyPerChat} messages, seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return f;
}

/** A case of a micro scenario: how to run one repetition, or why it cannot run. */
export interface CaseSpec {
  readonly id: string;
  readonly label: string;
  readonly rep?: (ms: number) => Promise<Rep>;
  /** Why the case is n/a (a plugin is not installed). */
  readonly na?: string;
  /** Facts read after the runs (e.g. which layer answered the reads). */
  readonly extra?: () => Record<string, unknown> | undefined;
}

/** Runs the runnable specs interleaved (see `interleave`) and returns every case's result. */
export async function measureCases(timing: Timing, base: Pick<CaseResult, 'dialect' | 'scenario' | 'unit'>, specs: readonly CaseSpec[]): Promise<CaseResult[]> {
  const summaries = await interleave(
    timing,
    specs.filter((s) => s.rep !== undefined).map((s) => ({ id: s.id, rep: s.rep! })),
  );
  return specs.map((s) =>
    s.rep === undefined
      ? notAvailable({ ...base, id: s.id, label: s.label }, s.na ?? 'not run')
      : { ...base, id: s.id, label: s.label, status: 'ok', summary: summaries.get(s.id), extra: s.extra?.() },
  );
}
