/**
 * Seeded randomness for the workload: the same seed gives the same chats, people and message
 * sequence, so two runs (or a botdb run and a baseline run in the bench) see the same traffic.
 */

/** A seeded pseudo-random source (mulberry32): fast, 32-bit state, good enough for workloads. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An exponentially distributed wait with the given mean (Poisson arrivals). */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/**
 * Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^s: rank 0 is the most
 * popular. s = 0 is uniform; chat traffic is commonly modelled with s around 1.
 */
export class Zipf {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Zipf needs n >= 1, got ${n}`);
    if (!(s >= 0)) throw new RangeError(`Zipf needs s >= 0, got ${s}`);
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) this.cdf[k] = sum += 1 / Math.pow(k + 1, s);
    for (let k = 0; k < n; k++) this.cdf[k] = this.cdf[k]! / sum;
  }

  /** A rank drawn from the distribution. */
  sample(random: Random): number {
    const u = random.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The share of draws that land on the `k` most popular ranks. */
  topShare(k: number): number {
    return k <= 0 ? 0 : this.cdf[Math.min(k, this.n) - 1]!;
  }
}
