/**
 * Drives traffic through a turn function: open loop (messages arrive at a rate, Poisson, no
 * matter how fast the bot is) or closed loop (a fixed number of turns in flight, as fast as it
 * goes). A chat's turns never overlap: each chat has a queue, as a bot has per chat.
 */
import type { OpRecorder, TurnFn, WriteCounts } from '../turn.js';
import type { MessageEvent } from '../world/world.js';
import { Random } from '../world/random.js';
import { Samples } from './latency.js';

/** How to drive. */
export interface DriveOptions {
  readonly mode: 'open' | 'closed';
  /** Open loop: arrivals per second. */
  readonly rate: number;
  /** Closed loop: turns in flight (queued behind their chat or running). */
  readonly concurrency: number;
  readonly durationMs: number;
  /** The next incoming message. */
  readonly next: () => MessageEvent;
  readonly turn: TurnFn;
  /** Receives op latencies, plus `turn` (execution) and, open loop, `turn.response` (from arrival). */
  readonly rec: OpRecorder;
  readonly writes: WriteCounts;
  /** Stops traffic early (in-flight turns still finish). */
  readonly signal?: AbortSignal;
  /** Called for each failed turn. */
  readonly onError?: (error: unknown, ev: MessageEvent) => void;
  /** Open loop: arrivals beyond this many in flight are dropped (counted). @default 10 s worth */
  readonly maxInFlight?: number;
  /** Seed of the arrival times. @default 7 */
  readonly seed?: number;
}

/** What a drive did. */
export interface DriveResult {
  readonly turns: number;
  readonly errors: number;
  readonly dropped: number;
  /** From the first arrival until the last turn finished. */
  readonly elapsedMs: number;
  /** Until traffic stopped (duration or signal), before in-flight turns finished. */
  readonly trafficMs: number;
}

/** A live view for progress lines. */
export interface DriveSnapshot {
  readonly elapsedMs: number;
  readonly turns: number;
  readonly errors: number;
  readonly dropped: number;
  readonly inFlight: number;
  /** Turns completed since the previous snapshot, and their latencies. */
  readonly intervalTurns: number;
  readonly intervalMs: number;
  readonly interval: Samples;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs traffic; `snapshot()` may be called while `run()` is under way. */
export class TrafficDriver {
  private turns = 0;
  private errors = 0;
  private dropped = 0;
  private inFlight = 0;
  private start = 0;
  private lastSnapshot = 0;
  private intervalTurns = 0;
  private interval = new Samples();
  private readonly tails = new Map<SimChatKey, Promise<void>>();
  private readonly idle: (() => void)[] = [];

  constructor(private readonly o: DriveOptions) {}

  async run(): Promise<DriveResult> {
    this.start = this.lastSnapshot = performance.now();
    if (this.o.mode === 'open') await this.openLoop();
    else await this.closedLoop();
    const trafficMs = performance.now() - this.start;
    await Promise.allSettled([...this.tails.values()]);
    return { turns: this.turns, errors: this.errors, dropped: this.dropped, elapsedMs: performance.now() - this.start, trafficMs };
  }

  snapshot(): DriveSnapshot {
    const now = performance.now();
    const s: DriveSnapshot = {
      elapsedMs: now - this.start,
      turns: this.turns,
      errors: this.errors,
      dropped: this.dropped,
      inFlight: this.inFlight,
      intervalTurns: this.intervalTurns,
      intervalMs: now - this.lastSnapshot,
      interval: this.interval,
    };
    this.interval = new Samples();
    this.intervalTurns = 0;
    this.lastSnapshot = now;
    return s;
  }

  private stopped(): boolean {
    return this.o.signal?.aborted === true || performance.now() - this.start >= this.o.durationMs;
  }

  private async openLoop(): Promise<void> {
    const random = new Random(this.o.seed ?? 7);
    const meanGapMs = 1000 / this.o.rate;
    const maxInFlight = this.o.maxInFlight ?? Math.max(100, Math.ceil(this.o.rate * 10));
    let nextArrival = this.start;
    while (!this.stopped()) {
      const now = performance.now();
      // Issue every arrival that is due; the arrival time, not the issue time, starts the clock,
      // so a late timer does not hide latency (no coordinated omission).
      while (nextArrival <= now && nextArrival - this.start < this.o.durationMs) {
        if (this.inFlight >= maxInFlight) {
          this.dropped++;
          this.o.next();
        } else {
          this.dispatch(this.o.next(), nextArrival);
        }
        nextArrival += random.exponential(meanGapMs);
      }
      await sleep(Math.max(0, Math.min(5, nextArrival - performance.now())));
    }
  }

  private async closedLoop(): Promise<void> {
    while (!this.stopped()) {
      if (this.inFlight < this.o.concurrency) {
        this.dispatch(this.o.next(), performance.now());
        continue;
      }
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
  }

  /** Queues `ev` behind its chat's previous turn. */
  private dispatch(ev: MessageEvent, arrival: number): void {
    this.inFlight++;
    const key = ev.chat.index;
    const prev = this.tails.get(key);
    const run = () => this.execute(ev, arrival);
    const next = prev === undefined ? run() : prev.then(run);
    this.tails.set(key, next);
    void next.then(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
      this.inFlight--;
      this.idle.shift()?.();
    });
  }

  private async execute(ev: MessageEvent, arrival: number): Promise<void> {
    const begin = performance.now();
    try {
      await this.o.turn(ev, this.o.rec, this.o.writes);
      const end = performance.now();
      this.o.rec.record('turn', end - begin);
      if (this.o.mode === 'open') this.o.rec.record('turn.response', end - arrival);
      this.interval.add(this.o.mode === 'open' ? end - arrival : end - begin);
      this.turns++;
      this.intervalTurns++;
    } catch (e) {
      this.errors++;
      this.o.onError?.(e, ev);
    }
  }
}

type SimChatKey = number;
