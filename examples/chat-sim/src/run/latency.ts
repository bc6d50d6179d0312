/**
 * Latency samples per operation, kept exactly (a run of minutes is a few million numbers), so
 * percentiles are true order statistics, not bucket estimates.
 */

/** p50/p95/p99 and friends of one set of samples, in milliseconds. */
export interface Percentiles {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** A growable list of samples. */
export class Samples {
  private data = new Float64Array(1024);
  private n = 0;

  add(value: number): void {
    if (this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = value;
  }

  get count(): number {
    return this.n;
  }

  clear(): void {
    this.n = 0;
  }

  /** The samples so far (a view: copy it before adding more). */
  values(): Float64Array {
    return this.data.subarray(0, this.n);
  }

  /** Percentiles of the samples so far (nearest-rank). */
  percentiles(): Percentiles {
    return percentilesOf(this.data.subarray(0, this.n));
  }
}

/** Nearest-rank percentiles of `values` (copied, not modified). */
export function percentilesOf(values: ArrayLike<number>): Percentiles {
  const n = values.length;
  if (n === 0) return { count: 0, mean: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  return { count: n, mean: sum / n, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[n - 1]! };
}

/** Latency samples by operation name, in milliseconds. */
export class LatencyRecorder {
  private readonly byOp = new Map<string, Samples>();

  /** Records that `op` took `ms`. */
  record(op: string, ms: number): void {
    let s = this.byOp.get(op);
    if (s === undefined) {
      s = new Samples();
      this.byOp.set(op, s);
    }
    s.add(ms);
  }

  /** Times `fn` as `op`. */
  async time<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.record(op, performance.now() - start);
    }
  }

  samples(op: string): Samples | undefined {
    return this.byOp.get(op);
  }

  /** Percentiles of every operation, in first-recorded order. */
  summary(): Record<string, Percentiles> {
    const out: Record<string, Percentiles> = {};
    for (const [op, s] of this.byOp) out[op] = s.percentiles();
    return out;
  }

  clear(): void {
    this.byOp.clear();
  }
}
