import { BotDbError } from '../errors.js';
import type { Database } from '../api/types.js';
import { createHooks, type Hooks } from './hooks.js';

/** The pipeline a plugin taps: the frozen hooks and the database they belong to. */
export class Pipeline {
  readonly hooks: Hooks = createHooks();

  constructor(readonly db: Database) {}
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
