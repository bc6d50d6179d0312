import type { Hook } from 'tapable';
import { BotDbError } from '../errors.js';
import type { Database } from '../api/types.js';
import { createHooks, type Hooks } from './hooks.js';

/**
 * What a plugin shows other plugins without being imported by them: its own hooks (e.g. cache
 * hit/miss) and a stats function. Monitoring reads these by plugin name.
 */
export interface PluginSurface {
  readonly hooks?: { readonly [name: string]: Hook<any, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly stats?: () => Readonly<Record<string, unknown>>;
}

/** The pipeline a plugin taps: the frozen hooks and the database they belong to. */
export class Pipeline {
  readonly hooks: Hooks = createHooks();
  private readonly surfaces = new Map<string, PluginSurface>();

  constructor(readonly db: Database) {}

  /** Publishes a plugin's own hooks and stats under its name. */
  expose(plugin: string, surface: PluginSurface): void {
    this.surfaces.set(plugin, Object.freeze({ ...surface }));
  }

  /** The names of the plugins that exposed a surface. */
  exposed(): string[] {
    return [...this.surfaces.keys()];
  }

  /** The surface a plugin exposed, if that plugin is configured. Read it in `init` or later. */
  surface(plugin: string): PluginSurface | undefined {
    return this.surfaces.get(plugin);
  }
}

/**
 * A botdb plugin: a class with a `name`, the names of plugins it `requires`, and `apply`, which
 * taps the pipeline's hooks (every tap named after the plugin).
 */
export interface BotDbPlugin {
  readonly name: string;
  readonly requires?: readonly string[];
  apply(pipeline: Pipeline): void;
}

/** Checks names and requirements of the configured plugins, then applies each. */
export function applyPlugins(pipeline: Pipeline, plugins: readonly BotDbPlugin[]): void {
  const names = new Set<string>();
  for (const p of plugins) {
    if (names.has(p.name)) throw BotDbError.duplicatePlugin(p.name);
    names.add(p.name);
  }
  for (const p of plugins) {
    for (const req of p.requires ?? []) if (!names.has(req)) throw BotDbError.missingPlugin(p.name, req);
  }
  for (const p of plugins) p.apply(pipeline);
}
