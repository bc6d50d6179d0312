/**
 * Monitoring with the real cache and batch plugins (tests may use them; the plugin itself never
 * imports another plugin): their hooks and stats must reach the exposition.
 */
import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatStreams, Messages, createDatabase } from '@botdb/core';
import { runConformanceSuite } from '@botdb/test-suite';
import { CachePlugin } from '@botdb/cache';
import { BatchPlugin } from '@botdb/batch';
import { MonitoringPlugin } from '@botdb/monitoring';

const dir = mkdtempSync(join(tmpdir(), 'botdb-monitoring-'));
let n = 0;
const url = () => `sqlite:${join(dir, `db${++n}.db`)}`;

function value(text: string, metric: string, labels: Record<string, string> = {}): number {
  const lines = text.split('\n').filter((l) => l.startsWith(`${metric}{`) || l.startsWith(`${metric} `));
  const match = lines.find((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return match ? Number(match.split(' ').pop()) : Number.NaN;
}

describe('MonitoringPlugin with the real cache and batch plugins', function () {
  after(() => rmSync(dir, { recursive: true, force: true }));

  runConformanceSuite('conformance with monitoring', () => createDatabase({ url: url(), plugins: [new MonitoringPlugin()] }));
  runConformanceSuite('conformance with monitoring + cache + batch', () => createDatabase({ url: url(), plugins: [new MonitoringPlugin(), new CachePlugin(), new BatchPlugin()] }));

  it('cache hits, misses and batch flushes show in the exposition and in db.stats()', async function () {
    const db = await createDatabase({ url: url(), plugins: [new MonitoringPlugin(), new CachePlugin(), new BatchPlugin()] });
    await db.create(ChatStreams, { stream_id: 's', create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' });
    for (let i = 0; i < 5; i++) await db.get(ChatStreams, { filters: { stream_id: 's' }, single: true });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.create(Messages, { message_id: `m${i}`, time: i, chat_id: 's', chat_info_stream_id: 's', chat_info_platform: 'qq', chat_info_user_platform: 'qq', chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1, chat_info_last_active_time: 1 }),
      ),
    );
    const { body } = await MonitoringPlugin.metrics(db);
    expect(value(body, 'botdb_cache_hits_total', { level: 'l1' }), 'l1 hits').to.be.at.least(4);
    expect(value(body, 'botdb_cache_misses_total'), 'misses').to.be.at.least(1);
    expect(body).to.match(/botdb_batch_size_rows_count\{[^}]*entity="Messages"[^}]*\} [1-9]/);
    const stats = db.stats();
    expect(stats).to.have.keys('MonitoringPlugin', 'CachePlugin', 'BatchPlugin');
    expect(stats.CachePlugin!.hitRate).to.be.greaterThan(0.5);
    expect(stats.BatchPlugin!.batchingRate).to.be.greaterThan(0.5);
    await db.close();
  });
});
