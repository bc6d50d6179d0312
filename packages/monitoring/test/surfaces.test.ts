import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, type BotDbPlugin, type Pipeline } from '@botdb/core';
import { MonitoringPlugin } from '../src/index.js';
import { families, openDb, tempDir } from './support/db.js';
import { FakeBatchPlugin, FakeCachePlugin } from './support/fakes.js';

/** The metric families `db`'s registry exports now. */
async function exported(plugins: BotDbPlugin[], dir: ReturnType<typeof tempDir>): Promise<Set<string>> {
  const db = await openDb(dir, [new MonitoringPlugin(), ...plugins]);
  try {
    await db.get(ChatStreams, { limit: 1 });
    return new Set(families(await (await MonitoringPlugin.metrics(db)).body).keys());
  } finally {
    await db.close();
  }
}

describe('monitoring: what is absent exports nothing', function () {
  const dir = tempDir();
  after(function () {
    dir.remove();
  });

  it('without cache, batch or rw-split plugins: no botdb_cache_*, botdb_batch_*, replica or routing series', async function () {
    const names = [...(await exported([], dir))];
    expect(names.filter((n) => /^botdb_(cache|batch|replica|rw)_/.test(n))).to.deep.equal([]);
    expect(names).to.include.members([
      'botdb_operation_duration_seconds',
      'botdb_reads_total',
      'botdb_writes_total',
      'botdb_statement_duration_seconds',
      'botdb_statement_failures_total',
      'botdb_slow_statements_total',
      'botdb_errors_total',
      'botdb_pool_connections',
    ]);
  });

  it('a cache surface with only a hit hook and no stats: only botdb_cache_hits_total', async function () {
    const names = [...(await exported([new FakeCachePlugin({ hooks: ['hit'], stats: false })], dir))];
    expect(names.filter((n) => n.startsWith('botdb_cache_'))).to.deep.equal(['botdb_cache_hits_total']);
  });

  it('a cache whose stats lack a field: no metric for that field', async function () {
    const cache = new FakeCachePlugin();
    delete cache.stats.bloomRejections;
    cache.stats.evictions = 'many';
    const names = await exported([cache], dir);
    expect(names.has('botdb_cache_bloom_rejections_total')).to.equal(false);
    expect(names.has('botdb_cache_evictions_total')).to.equal(false);
    expect(names.has('botdb_cache_negative_hits_total')).to.equal(true);
  });

  it('batch events without hooks fall back to the running totals of stats()', async function () {
    const db = await openDb(dir, [new MonitoringPlugin(), new FakeBatchPlugin({ hooks: ['flush'] })]);
    try {
      const body = (await MonitoringPlugin.metrics(db)).body;
      expect(body).to.match(/^botdb_batch_degradations_total 1$/m);
      expect(body).to.match(/^botdb_batch_retries_total 2$/m);
      expect(body).to.match(/^botdb_batch_isolated_failures_total 3$/m);
    } finally {
      await db.close();
    }
  });

  it('a plugin whose stats() throws does not fail the scrape', async function () {
    let fail = false;
    const flaky: BotDbPlugin = {
      name: 'CachePlugin',
      apply(pipeline: Pipeline) {
        pipeline.expose('CachePlugin', {
          stats: () => {
            if (fail) throw new Error('stats broke');
            return { evictions: 1, entriesL1: 2 };
          },
        });
      },
    };
    const db = await openDb(dir, [new MonitoringPlugin(), flaky]);
    try {
      expect((await MonitoringPlugin.metrics(db)).body).to.match(/^botdb_cache_evictions_total 1$/m);
      fail = true;
      const body = (await MonitoringPlugin.metrics(db)).body;
      expect(body).to.contain('botdb_reads_total');
      expect(MonitoringPlugin.getStats(db).cache).to.deep.equal({ hitRate: null, plugin: {} });
    } finally {
      await db.close();
    }
  });

  it('a surface hook that is not a hook (no tap function) is ignored', async function () {
    const odd: BotDbPlugin = {
      name: 'CachePlugin',
      apply(pipeline: Pipeline) {
        pipeline.expose('CachePlugin', { hooks: { hit: { taps: [] } as never } });
      },
    };
    const names = [...(await exported([odd], dir))];
    expect(names.filter((n) => n.startsWith('botdb_cache_'))).to.deep.equal([]);
  });
});
