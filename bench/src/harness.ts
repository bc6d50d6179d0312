/**
 * Measurement: run an operation for a fixed time after a warm-up, time each call, repeat
 * (interleaved with the other contenders), and report medians. Every implementation goes through
 * the same loop, so loop overhead is shared.
 */
import { Samples, type Percentiles } from '@botdb/example-chat-sim';

/** One repetition's numbers. */
export interface Rep {
  /** Calls per second (wall clock). */
  readonly callsPerS: number;
  /** Units per second: rows for inserts, turns for turns, else calls. */
  readonly perS: number;
  /** Latency of one call, in milliseconds. */
  readonly latency: Percentiles;
  readonly calls: number;
  readonly elapsedMs: number;
}

/** Medians over repetitions. */
export interface Summary {
  readonly perS: number;
  /** Lowest and highest `perS` over the repetitions. */
  readonly perSRange: readonly [number, number];
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly reps: readonly Rep[];
}

/** Loop timing settings. */
export interface Timing {
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly reps: number;
}

/** A call to measure: gets the call index; may return a promise (awaited) or a value (not). */
export type Op = (i: number) => unknown;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Calls `op` back to back for `ms`. Synchronous results are not awaited (a better-sqlite3 user
 * does not await either). With `batch > 1`, each sample times `batch` calls and records their
 * mean, for operations too fast for a per-call timer (a Map lookup).
 */
export async function serial(op: Op, ms: number, opts: { unitsPerCall?: number; batch?: number; untimed?: (i: number) => unknown } = {}): Promise<Rep> {
  const batch = opts.batch ?? 1;
  const samples = new Samples();
  let i = 0;
  let timedMs = 0;
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    if (opts.untimed) {
      const u = opts.untimed(i);
      if (isThenable(u)) await u;
    }
    const t = performance.now();
    for (let b = 0; b < batch; b++) {
      const r = op(i++);
      if (isThenable(r)) await r;
    }
    const d = performance.now() - t;
    timedMs += d;
    samples.add(d / batch);
  }
  // With untimed setup work between calls, throughput counts only the timed part.
  const elapsedMs = opts.untimed ? timedMs : performance.now() - start;
  const callsPerS = (i * 1000) / elapsedMs;
  return { callsPerS, perS: callsPerS * (opts.unitsPerCall ?? 1), latency: samples.percentiles(), calls: i, elapsedMs };
}

/** `workers` callers each calling `op` back to back for `ms` (for plugins that gain from concurrency). */
export async function concurrent(op: (i: number) => Promise<unknown>, ms: number, workers: number, unitsPerCall = 1): Promise<Rep> {
  const samples = new Samples();
  let i = 0;
  const start = performance.now();
  const end = start + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await op(i++);
      samples.add(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const elapsedMs = performance.now() - start;
  const callsPerS = (i * 1000) / elapsedMs;
  return { callsPerS, perS: callsPerS * unitsPerCall, latency: samples.percentiles(), calls: i, elapsedMs };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Something to measure: one repetition of `ms` milliseconds at a time. */
export interface Contender {
  readonly id: string;
  readonly rep: (ms: number) => Promise<Rep>;
}

/**
 * Warms every contender up (discarded), then runs `timing.reps` rounds, each contender once per
 * round, starting one further along each round (A B C, B C A, C A B). Interleaving spreads load
 * bursts of a shared machine over all contenders instead of one. Returns medians by id.
 */
export async function interleave(timing: Timing, contenders: readonly Contender[]): Promise<Map<string, Summary>> {
  for (const c of contenders) if (timing.warmupMs > 0) await c.rep(timing.warmupMs);
  const reps = new Map<string, Rep[]>(contenders.map((c) => [c.id, []]));
  for (let r = 0; r < timing.reps; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(r + k) % contenders.length]!;
      reps.get(c.id)!.push(await c.rep(timing.measureMs));
    }
  }
  return new Map([...reps].map(([id, list]) => [id, summarize(list)]));
}

/** Medians of repetitions. */
export function summarize(reps: readonly Rep[]): Summary {
  const perS = reps.map((r) => r.perS);
  return {
    perS: median(perS),
    perSRange: [Math.min(...perS), Math.max(...perS)],
    p50: median(reps.map((r) => r.latency.p50)),
    p95: median(reps.map((r) => r.latency.p95)),
    p99: median(reps.map((r) => r.latency.p99)),
    reps,
  };
}

