/**
 * What a chaos scenario is and what it reports. Each scenario breaks something (a process, a
 * server, a connection, the disk) under traffic, then checks botdb's promises: every
 * acknowledged write is stored exactly once, no read is stale, failures carry a code, the event
 * loop keeps running.
 */

/** How hard to run: `short` for CI (the whole suite in a few minutes), `long` for more rounds. */
export type Mode = 'short' | 'long';

/** One guarantee a run checked. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  /** The measured value, e.g. "0 lost" or "max 12 ms (limit 50 ms)". */
  readonly detail: string;
}

/** What a scenario reports. `undefined` figures were not measured by this scenario. */
export interface Outcome {
  rounds: number;
  acked: number;
  lost: number;
  duplicates: number;
  staleReads?: number;
  /** Worst event-loop stall (ms) of the process that ran the traffic. */
  stallMs?: number;
  readonly checks: Check[];
  /** Lines worth printing (failure codes seen, timings). */
  readonly notes: string[];
  /** Set when the scenario could not run here; it then counts as neither passed nor failed. */
  skipped?: string;
}

export interface Scenario {
  readonly name: string;
  run(mode: Mode): Promise<Outcome>;
}

export function outcome(): Outcome {
  return { rounds: 0, acked: 0, lost: 0, duplicates: 0, checks: [], notes: [] };
}

export function skipped(reason: string): Outcome {
  return { ...outcome(), skipped: reason };
}

/** Adds the standard checks: nothing acknowledged lost, nothing stored twice, no stale read. */
export function checkStandard(o: Outcome): void {
  o.checks.push({ name: 'acknowledged writes lost', ok: o.lost === 0, detail: `${o.lost}` });
  o.checks.push({ name: 'duplicates', ok: o.duplicates === 0, detail: `${o.duplicates}` });
  if (o.staleReads !== undefined) o.checks.push({ name: 'stale reads', ok: o.staleReads === 0, detail: `${o.staleReads}` });
}

/**
 * Compares what was stored with what was acknowledged: `lost` are acknowledged ids not stored,
 * `duplicates` the extra copies of ids stored more than once.
 */
export function tally(stored: readonly string[], acked: Iterable<string>): { lost: number; duplicates: number } {
  const counts = new Map<string, number>();
  for (const id of stored) counts.set(id, (counts.get(id) ?? 0) + 1);
  let lost = 0;
  for (const id of acked) if (!counts.has(id)) lost++;
  let duplicates = 0;
  for (const n of counts.values()) duplicates += n - 1;
  return { lost, duplicates };
}

/** The worst event-loop stall probe, shared with the tests. */
export { stallProbe } from './deps.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The code of a rejected call (`BOTDB_ERR_*`), or `uncoded` for an error without one. */
export function codeOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('BOTDB_ERR_') ? code : 'uncoded';
}

/** Counts of failure codes, printed as "BOTDB_ERR_QUERY x3". */
export class Codes {
  private readonly counts = new Map<string, number>();

  add(e: unknown): void {
    const c = codeOf(e);
    this.counts.set(c, (this.counts.get(c) ?? 0) + 1);
  }

  /** Adds another tally's counts to this one. */
  merge(other: Codes): void {
    for (const [c, n] of other.counts) this.counts.set(c, (this.counts.get(c) ?? 0) + n);
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  get uncoded(): number {
    return this.count('uncoded');
  }

  count(code: string): number {
    return this.counts.get(code) ?? 0;
  }

  toString(): string {
    return this.counts.size === 0 ? 'none' : [...this.counts].map(([c, n]) => `${c} x${n}`).join(', ');
  }
}

/** A message row of a chaos run: `id` is its message_id, `chat` its chat_id. */
export function message(chat: string, id: string, n: number): Record<string, unknown> {
  return {
    message_id: id, time: n, chat_id: chat, chat_info_stream_id: chat, chat_info_platform: 'qq', chat_info_user_platform: 'qq',
    chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1, chat_info_last_active_time: 1,
  };
}
