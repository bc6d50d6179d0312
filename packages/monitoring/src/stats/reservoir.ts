/**
 * A fixed-size ring of the most recent samples, for percentiles in `getStats`. Exact over the
 * window, O(1) to record, O(n log n) to read: reads are rare (a stats call), records are hot.
 */

/** Percentiles of the samples in a reservoir, in milliseconds; null when it is empty. */
export interface Percentiles {
  /** Samples the percentiles are computed from (at most the reservoir size). */
  readonly samples: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

/** The last `size` samples. */
export class Reservoir {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(readonly size: number) {
    this.values = new Float64Array(size);
  }

  /** Records one sample. */
  record(value: number): void {
    this.values[this.next] = value;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
    if (this.filled < this.size) this.filled++;
  }

  /** p50, p95 and p99 by nearest rank over the samples held. */
  percentiles(): Percentiles {
    if (this.filled === 0) return { samples: 0, p50: null, p95: null, p99: null };
    const sorted = this.values.slice(0, this.filled).sort();
    const at = (q: number) => round(sorted[Math.min(this.filled - 1, Math.ceil(q * this.filled) - 1)] as number);
    return { samples: this.filled, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}

/** Milliseconds to the microsecond, so a JSON dump stays readable. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
