import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, Stage, type BotDbPlugin, type Pipeline, type Row } from '@botdb/core';
import { MonitoringPlugin } from '../src/index.js';
import { InFlight, layerOf } from '../src/metrics/operations.js';
import { metric, openDb, stream, tempDir } from './support/db.js';

describe('monitoring: timing operations in flight', function () {
  it('finds a stamp whichever order operations end in', function () {
    const f = new InFlight<object>();
    const [a, b, c] = [{}, {}, {}];
    f.start(a);
    f.start(b);
    f.start(c);
    expect(f.take(b)).to.be.a('number');
    expect(f.take(b)).to.equal(undefined);
    expect(f.take(c)).to.be.a('number');
    expect(f.take(a)).to.be.a('number');
    expect(f.size).to.equal(0);
  });

  it('drops stamps of operations that never ended once they are stale', async function () {
    const f = new InFlight<object>(5);
    const failed = {};
    f.start(failed);
    await new Promise((r) => setTimeout(r, 10));
    const next = {};
    f.start(next);
    expect(f.size).to.equal(1);
    expect(f.take(failed)).to.equal(undefined);
    expect(f.take(next)).to.be.a('number');
  });

  it('stays bounded when operations pile up', function () {
    const f = new InFlight<object>(60_000, 100);
    for (let i = 0; i < 1000; i++) f.start({});
    expect(f.size).to.be.at.most(100);
  });

  it('names a layer after the plugin that took a write', function () {
    expect(layerOf('BatchPlugin')).to.equal('batch');
    expect(layerOf('My-Queue Plugin')).to.equal('my_queue_');
    expect(layerOf('Plugin')).to.equal('plugin');
  });
});

/** A plugin taking writes with `{ take: name }` through a sync or a callback tap. */
function taker(name: string, kind: 'sync' | 'async'): BotDbPlugin {
  return {
    name,
    apply(pipeline: Pipeline) {
      const result = (rows: readonly Row[]) => ({ rows: [...rows] });
      if (kind === 'sync') {
        pipeline.hooks.write.tap({ name, stage: Stage.DEFAULT }, (ctx) => (ctx.options.take === name && ctx.kind === 'create' ? result(ctx.rows) : undefined));
      } else {
        pipeline.hooks.write.tapAsync({ name, stage: Stage.DEFAULT }, (ctx, cb) => {
          setTimeout(() => cb(null, ctx.options.take === name && ctx.kind === 'create' ? result(ctx.rows) : undefined), 2);
        });
      }
    },
  };
}

describe('monitoring: writes other plugins take, whatever their tap type', function () {
  const dir = tempDir();
  after(function () {
    dir.remove();
  });

  it('sync and callback taps: counted and timed under the taking plugin, others go to the database', async function () {
    const db = await openDb(dir, [new MonitoringPlugin(), taker('SyncQueuePlugin', 'sync'), taker('CallbackQueuePlugin', 'async')]);
    try {
      await db.create(ChatStreams, stream('t-1') as never, { take: 'SyncQueuePlugin' });
      await db.create(ChatStreams, stream('t-2') as never, { take: 'CallbackQueuePlugin' });
      await db.create(ChatStreams, stream('t-3') as never);
      expect(await metric(db, 'botdb_writes_total', { layer: 'syncqueue' })).to.equal(1);
      expect(await metric(db, 'botdb_writes_total', { layer: 'callbackqueue' })).to.equal(1);
      expect(await metric(db, 'botdb_writes_total', { layer: 'db' })).to.equal(1);
      expect(await metric(db, 'botdb_operation_duration_seconds_count', { layer: 'callbackqueue' })).to.equal(1);
      expect(await metric(db, 'botdb_operation_duration_seconds_sum', { layer: 'callbackqueue' })).to.be.greaterThan(0.001);
      // Only the direct write reached the database.
      expect(await db.count(ChatStreams)).to.equal(1);
    } finally {
      await db.close();
    }
  });
});
