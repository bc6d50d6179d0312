/**
 * Plugins by name, for the simulator and the bench: the one place that knows which package
 * holds which plugin. A plugin whose package is not installed is skipped with a notice, so the
 * same code runs with any subset of plugins, and picks up a package the moment it is added to
 * this package's dependencies.
 */
import type { BotDbPlugin, Database } from '@botdb/core';

/** Every plugin this file knows, by short name. */
export const PLUGIN_NAMES = ['cache', 'batch', 'monitoring'] as const;

/** A known plugin's short name. */
export type PluginName = (typeof PLUGIN_NAMES)[number];

const SOURCES: Readonly<Record<PluginName, { readonly module: string; readonly exportName: string }>> = Object.freeze({
  cache: { module: '@botdb/cache', exportName: 'CachePlugin' },
  batch: { module: '@botdb/batch', exportName: 'BatchPlugin' },
  monitoring: { module: '@botdb/monitoring', exportName: 'MonitoringPlugin' },
});

/** Options per plugin, passed to its constructor as they are; and where notices go. */
export interface PluginOptions {
  /** `new CachePlugin(cache)`. */
  readonly cache?: Record<string, unknown>;
  /** `new BatchPlugin(batch)`. */
  readonly batch?: Record<string, unknown>;
  /** `new MonitoringPlugin(monitoring)`, e.g. `{ port: 9464 }`. */
  readonly monitoring?: Record<string, unknown>;
  /** Receives "plugin not installed" notices. @default console.warn */
  readonly notice?: (message: string) => void;
}

type PluginClass = new (options?: Record<string, unknown>) => BotDbPlugin;

/** Which plugin a created instance is, by short name (per-instance extra state, keyed by it). */
const KIND = new WeakMap<BotDbPlugin, PluginName>();

function isKnown(name: string): name is PluginName {
  return (PLUGIN_NAMES as readonly string[]).includes(name);
}

/** Throws for names that are not plugins, listing the known ones. */
export function checkPluginNames(names: readonly string[]): PluginName[] {
  const bad = names.filter((n) => !isKnown(n));
  if (bad.length > 0) throw new Error(`Unknown plugin ${bad.map((b) => `"${b}"`).join(', ')}: use ${PLUGIN_NAMES.join(', ')}, "all" or "none".`);
  return [...new Set(names)] as PluginName[];
}

/** Loads a plugin's class, or says why it cannot. */
async function loadClass(name: PluginName): Promise<PluginClass | string> {
  const { module, exportName } = SOURCES[name];
  let mod: Record<string, unknown>;
  try {
    // A variable specifier: the package is optional, so neither TypeScript nor the bundler-free
    // loader may require it to exist at compile time.
    const specifier: string = module;
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const message = e instanceof Error ? e.message : String(e);
    // Only the package itself missing counts as "not installed"; a broken import inside it is an error to show.
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(`'${module}'`)) {
      return `${module} is not installed (add it to the dependencies of @botdb/example-chat-sim)`;
    }
    return `${module} failed to load: ${message}`;
  }
  const cls = mod[exportName];
  if (typeof cls !== 'function') return `${module} does not export ${exportName}`;
  return cls as PluginClass;
}

/** Whether each plugin's package can be loaded, and why not. */
export async function pluginAvailability(names: readonly string[] = PLUGIN_NAMES): Promise<Record<string, true | string>> {
  const out: Record<string, true | string> = {};
  for (const name of checkPluginNames(names)) {
    const cls = await loadClass(name);
    out[name] = typeof cls === 'string' ? cls : true;
  }
  return out;
}

/**
 * Creates the named plugins (`cache`, `batch`, `monitoring`): fresh instances on every call, so
 * each database gets its own. A plugin whose package is missing, or lacks its class, is skipped
 * with a notice. Errors of a plugin's constructor (bad options) are not swallowed.
 */
export async function makePlugins(names: string[], opts: PluginOptions = {}): Promise<BotDbPlugin[]> {
  const notice = opts.notice ?? ((m: string) => console.warn(m));
  const plugins: BotDbPlugin[] = [];
  for (const name of checkPluginNames(names)) {
    const cls = await loadClass(name);
    if (typeof cls === 'string') {
      notice(`[chat-sim] plugin "${name}" skipped: ${cls}`);
      continue;
    }
    const plugin = new cls(opts[name] ?? {});
    KIND.set(plugin, name);
    plugins.push(plugin);
  }
  return plugins;
}

/** The short names of the plugins a database runs that this file created. */
export function activePlugins(db: Database): PluginName[] {
  return db.config.plugins.map((p) => KIND.get(p)).filter((k): k is PluginName => k !== undefined);
}

/**
 * A plugin's stats as it publishes them (`pipeline.surface(name).stats()`), or undefined when the
 * plugin is off or publishes none. Looks the surface up under the plugin's own `name` first,
 * then its short name.
 */
export function pluginStats(db: Database, name: PluginName): Readonly<Record<string, unknown>> | undefined {
  const plugin = db.config.plugins.find((p) => KIND.get(p) === name);
  const surface = (plugin ? db.pipeline.surface(plugin.name) : undefined) ?? db.pipeline.surface(name);
  try {
    return surface?.stats?.();
  } catch {
    return undefined;
  }
}

/** A rate in [0, 1] from a stat that may be a fraction or a percentage. */
function asRate(v: unknown): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
  return v > 1 ? v / 100 : v;
}

/** The cache hit rate in [0, 1]: its `hitRate`, else `hits / (hits + misses)`; undefined if unknown. */
export function cacheHitRate(db: Database): number | undefined {
  const s = pluginStats(db, 'cache');
  if (s === undefined) return undefined;
  const rate = asRate(s.hitRate);
  if (rate !== undefined) return rate;
  const { hits, misses } = s;
  if (typeof hits === 'number' && typeof misses === 'number' && hits + misses > 0) return hits / (hits + misses);
  return undefined;
}

/** The batch plugin's batching rate in [0, 1] (`batchingRate`), undefined if unknown. */
export function batchingRate(db: Database): number | undefined {
  const s = pluginStats(db, 'batch');
  return s === undefined ? undefined : asRate(s.batchingRate);
}
