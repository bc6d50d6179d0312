import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { Database } from '@botdb/core';
import { MonitoringPlugin } from '../src/index.js';
import { skipWithout } from './support/binaries.js';
import { allTraffic, openFullyMonitored, tempDir } from './support/db.js';

describe('monitoring: promtool check metrics', function () {
  const dir = tempDir();
  let db: Database | undefined;

  before(async function () {
    skipWithout(this, 'promtool', 'promtool check metrics');
    ({ db } = await openFullyMonitored(dir, { defaultMetrics: true, defaultLabels: { db: 'main' } }));
    await allTraffic(db);
  });
  after(async function () {
    await db?.close();
    dir.remove();
  });

  it("botdb's exposition, with every metric present, passes promtool (format and lint)", async function () {
    const { body } = await MonitoringPlugin.metrics(db as Database);
    const botdbOnly = body
      .split('\n\n')
      .filter((family) => family.includes('# TYPE botdb_'))
      .join('\n\n');
    const r = promtool(`${botdbOnly}\n`);
    expect(r.output, 'promtool findings').to.equal('');
    expect(r.status).to.equal(0);
  });

  it("with defaultMetrics, the only findings are prom-client's own three process gauges named _total", async function () {
    const r = promtool((await MonitoringPlugin.metrics(db as Database)).body);
    // prom-client names three gauges *_total (nodejs_active_handles_total, ...); they keep their
    // standard names because Node.js dashboards query them. Format errors would show here too.
    const findings = r.output.split('\n').filter((l) => l !== '');
    expect(findings.filter((l) => !/^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/.test(l))).to.deep.equal([]);
  });
});

/** Runs `promtool check metrics` on `text`. */
function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}
