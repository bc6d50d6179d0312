/** Plain counts by key, for `getStats` (prom-client's series are for scraping, not for JSON). */
export class Tally {
  private readonly counts = new Map<string, number>();
  private sum = 0;

  /** Adds `n` to `key`. */
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
    this.sum += n;
  }

  /** The count of `key`. */
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** The sum over all keys. */
  get total(): number {
    return this.sum;
  }

  /** The counts as a plain object, keys sorted. */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
