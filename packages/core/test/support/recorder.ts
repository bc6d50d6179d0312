import type { BotDbPlugin, Pipeline, RowChange } from '../../src/index.js';

const PLUGIN_NAME = 'RecorderPlugin';

/** Records every `committed` call: one entry per commit, holding that commit's changes. */
export class RecorderPlugin implements BotDbPlugin {
  readonly name = PLUGIN_NAME;
  readonly commits: (readonly RowChange[])[] = [];
  /** `prepare` and `committed` calls in order, as `prepare Entity:kind:key,...`. */
  readonly events: string[] = [];

  apply(pipeline: Pipeline): void {
    pipeline.hooks.prepare.tap(PLUGIN_NAME, (ctx) => {
      this.events.push(`prepare ${ctx.changes.map(describeChange).join(',')}`);
    });
    pipeline.hooks.committed.tapPromise(PLUGIN_NAME, async (ctx) => {
      this.commits.push(ctx.changes);
      this.events.push(`committed ${ctx.changes.map(describeChange).join(',')}`);
    });
  }

  /** The prepare/committed events so far, and forgets them. */
  takeEvents(): string[] {
    return this.events.splice(0);
  }

  /** The commits recorded so far, as `Entity:kind:key` strings, and forgets them. */
  take(): string[][] {
    return this.takeChanges().map((changes) => changes.map(describeChange));
  }

  /** The commits recorded so far, and forgets them. */
  takeChanges(): (readonly RowChange[])[] {
    return this.commits.splice(0);
  }
}

/** `Entity:kind:key`, e.g. `Memory:insert:12`; `Entity:bulk` for a bulk change. */
export function describeChange(change: RowChange): string {
  return change.kind === 'bulk' ? `${change.entity.name}:bulk` : `${change.entity.name}:${change.kind}:${String(change.key)}`;
}
