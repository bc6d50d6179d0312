/**
 * Counters and histograms for the hot path (every read, every statement, every cache hit).
 *
 * prom-client validates and hashes the label object on every `inc`/`observe`, about 0.5-1 µs,
 * which is as much as a whole L1 cache hit and would break the overhead budget (>= 0.9x the
 * throughput without monitoring). These metrics instead count into plain cells found through
 * nested maps keyed by the (interned) label values, and hand prom-client the finished values at
 * scrape time through the `get()`/`getForPromString()` contract its registry reads from its own
 * metrics, producing the same value objects prom-client's Counter and Histogram produce (a test
 * compares text and JSON output). Exposition, default labels and escaping stay prom-client's.
 */
import type { Registry } from 'prom-client';

interface Value {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly sharedLabels?: Readonly<Record<string, string>>;
  readonly metricName?: string;
  readonly exemplar?: null;
}

/** What a registry reads from a metric at scrape time. */
interface MetricData {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: Value[];
}

interface Cell {
  readonly labels: Readonly<Record<string, string>>;
}

type Tree<C> = Map<string, Tree<C> | C>;

function child<C>(node: Tree<C>, key: string): Tree<C> {
  let next = node.get(key) as Tree<C> | undefined;
  if (next === undefined) {
    next = new Map();
    node.set(key, next);
  }
  return next;
}

/** The cells of a metric, one per combination of label values (one to three labels). */
abstract class FastMetric<C extends Cell> {
  readonly aggregator = 'sum' as const;
  private root: Tree<C> = new Map();
  protected readonly cells: C[] = [];

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly labelNames: readonly string[],
  ) {
    if (labelNames.length < 1 || labelNames.length > 3) throw new RangeError(`${name}: 1 to 3 labels`);
    // The registry reads name and type and calls get() (or getForPromString()) and reset().
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  protected abstract create(labels: Readonly<Record<string, string>>): C;

  /** The cell of these label values (values past the metric's labels are ignored). */
  protected cell(a: string, b: string, c: string): C {
    const depth = this.labelNames.length;
    let node = this.root;
    if (depth > 1) node = child(node, a);
    if (depth > 2) node = child(node, b);
    const last = depth === 1 ? a : depth === 2 ? b : c;
    let cell = node.get(last) as C | undefined;
    if (cell === undefined) {
      const labels: Record<string, string> = {};
      [a, b, c].slice(0, depth).forEach((v, i) => (labels[this.labelNames[i] as string] = v));
      cell = this.create(Object.freeze(labels));
      node.set(last, cell);
      this.cells.push(cell);
    }
    return cell;
  }

  /** Forgets every series (the registry's `resetMetrics()`). */
  reset(): void {
    this.root = new Map();
    this.cells.length = 0;
  }

  protected abstract values(): Value[];

  /** The metric's current values, for the registry. */
  async get(): Promise<MetricData> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() };
  }
}

interface CounterCell extends Cell {
  value: number;
}

/** A counter with one to three labels, cheap to increment. */
export class FastCounter extends FastMetric<CounterCell> {
  constructor(registry: Registry, config: { name: string; help: string; labelNames: readonly string[] }) {
    super(registry, config.name, config.help, 'counter', config.labelNames);
  }

  protected create(labels: Readonly<Record<string, string>>): CounterCell {
    return { labels, value: 0 };
  }

  /** Adds `n` (default 1) to the series of these label values. */
  inc(a: string, b = '', c = '', n = 1): void {
    this.cell(a, b, c).value += n;
  }

  protected values(): Value[] {
    return this.cells.map((cell) => ({ labels: cell.labels, value: cell.value }));
  }
}

interface HistogramCell extends Cell {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram with one to three labels, cheap to observe. */
export class FastHistogram extends FastMetric<HistogramCell> {
  private readonly bounds: Float64Array;

  constructor(registry: Registry, config: { name: string; help: string; labelNames: readonly string[]; buckets: readonly number[] }) {
    super(registry, config.name, config.help, 'histogram', config.labelNames);
    this.bounds = Float64Array.from(config.buckets);
  }

  protected create(labels: Readonly<Record<string, string>>): HistogramCell {
    return { labels, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
  }

  /** Records `value` in the series of these label values. */
  observe(value: number, a: string, b = '', c = ''): void {
    const cell = this.cell(a, b, c);
    const bounds = this.bounds;
    // Values beyond the last bound only count in +Inf, which is `count`.
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        cell.counts[i] = (cell.counts[i] as number) + 1;
        break;
      }
    }
    cell.sum += value;
    cell.count++;
  }

  /** The values for the text format: the series' labels shared by its buckets, sum and count. */
  async getForPromString(): Promise<MetricData> {
    return super.get();
  }

  /** The values with each one's labels complete, as `registry.getMetricsAsJSON()` returns them. */
  override async get(): Promise<MetricData> {
    const data = await super.get();
    return { ...data, values: data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
  }

  protected values(): Value[] {
    const out: Value[] = [];
    const bucket = `${this.name}_bucket`;
    // The same value objects prom-client's Histogram produces: `le` as the label, the series'
    // labels as shared labels, so the text is identical (a test compares them).
    for (const cell of this.cells) {
      const shared = cell.labels;
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += cell.counts[i] as number;
        out.push({ labels: { le: this.bounds[i] as number }, sharedLabels: shared, value: cumulative, metricName: bucket, exemplar: null });
      }
      out.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: cell.count, metricName: bucket, exemplar: null });
      out.push({ labels: {}, sharedLabels: shared, value: cell.sum, metricName: `${this.name}_sum`, exemplar: undefined });
      out.push({ labels: {}, sharedLabels: shared, value: cell.count, metricName: `${this.name}_count`, exemplar: undefined });
    }
    return out;
  }
}
