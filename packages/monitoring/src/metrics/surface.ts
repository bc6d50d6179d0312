/**
 * Reading other plugins' surfaces (`pipeline.expose(name, { hooks, stats })`) without importing
 * them: every hook, payload field and stats field is feature-detected, so a plugin that is
 * absent, older or shaped differently yields no series instead of wrong ones.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { Stage, type Pipeline } from '@botdb/core';
import { PLUGIN_NAME } from '../name.js';

/** What a plugin exposed on the pipeline. */
export type Surface = NonNullable<ReturnType<Pipeline['surface']>>;

/** The plain numeric stats of a surface, or undefined when it has none or `stats()` fails. */
export type StatsReader = () => Readonly<Record<string, unknown>> | undefined;

/** A reader of `surface.stats()` that never throws: a failing plugin must not fail a scrape. */
export function statsReader(surface: Surface): StatsReader {
  const stats = surface.stats;
  if (typeof stats !== 'function') return () => undefined;
  return () => {
    try {
      const s = stats();
      return typeof s === 'object' && s !== null ? s : undefined;
    } catch {
      return undefined;
    }
  };
}

/** `stats[field]` when it is a finite number. */
export function numberField(stats: Readonly<Record<string, unknown>> | undefined, field: string): number | undefined {
  const v = stats?.[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Every finite numeric field of `stats`, for `getStats`. */
export function numericFields(stats: Readonly<Record<string, unknown>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(stats ?? {})) {
    const v = numberField(stats, key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * The surface hook `name`, as a function that taps it (named after this plugin, at the monitor
 * stage), or undefined when the surface has no hook of that name.
 */
export function surfaceHook(surface: Surface, name: string): ((fn: (payload: unknown) => void) => void) | undefined {
  const hook = surface.hooks?.[name] as { tap?: unknown } | undefined;
  if (hook === undefined || typeof hook.tap !== 'function') return undefined;
  const tappable = hook as unknown as { tap(options: { name: string; stage: number }, fn: (payload: unknown) => void): void };
  return (fn) => tappable.tap({ name: PLUGIN_NAME, stage: Stage.MONITOR }, fn);
}

/** `payload[field]` when it is a non-empty string, else `unknown` (a label value must exist). */
export function labelField(payload: unknown, field: string): string {
  const v = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)[field] : undefined;
  return typeof v === 'string' && v !== '' ? v : 'unknown';
}

/** `payload[field]` when it is a finite number >= 0. */
export function amountField(payload: unknown, field: string): number | undefined {
  const v = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)[field] : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * A counter mirroring a plugin's running total `field` of `stats()`, read at scrape time.
 * Created only when the field is a number now; the plugin owns the count, we only publish it.
 */
export function statCounter(registry: Registry, read: StatsReader, field: string, name: string, help: string): boolean {
  if (numberField(read(), field) === undefined) return false;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = numberField(read(), field);
      // A total that went down means the plugin reset it: Prometheus treats that as a counter
      // reset, which is what it is.
      if (v !== undefined && v >= 0) {
        this.reset();
        this.inc(v);
      }
    },
  });
  return true;
}

/**
 * A gauge of the plugin's current value(s) read at scrape time: `fields` maps each stats field
 * to the label values it is published with (`{}` for an unlabelled gauge). Created only when at
 * least one field is a number now; only those fields are published.
 */
export function statGauge(
  registry: Registry,
  read: StatsReader,
  fields: Readonly<Record<string, Readonly<Record<string, string>>>>,
  name: string,
  help: string,
): boolean {
  const now = read();
  const present = Object.entries(fields).filter(([field]) => numberField(now, field) !== undefined);
  if (present.length === 0) return false;
  const labelNames = Object.keys(present[0]?.[1] ?? {});
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      const stats = read();
      for (const [field, labels] of present) {
        const v = numberField(stats, field);
        if (v !== undefined) this.set(labels, v);
      }
    },
  });
  return true;
}
