import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Database } from '@botdb/core';
import { MonitoringPlugin } from '../src/index.js';
import { allTraffic, families, openFullyMonitored, tempDir } from './support/db.js';

const BOARD = new URL('../../../docs/grafana/botdb.json', import.meta.url);
const DOCS = new URL('../../../docs/reference/metrics.md', import.meta.url);

interface Target {
  expr?: string;
}
interface Panel {
  title?: string;
  targets?: Target[];
  panels?: Panel[];
}

/** Every PromQL expression of the board: panel targets and templating queries. */
function boardExpressions(): string[] {
  const board = JSON.parse(readFileSync(BOARD, 'utf8')) as { panels: Panel[]; templating: { list: { definition?: string }[] } };
  const exprs: string[] = [];
  const walk = (panels: readonly Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr !== undefined) exprs.push(t.expr);
      walk(p.panels ?? []);
    }
  };
  walk(board.panels);
  for (const v of board.templating.list) if (v.definition !== undefined) exprs.push(v.definition);
  return exprs;
}

/** The metric family a series name belongs to (`x_bucket` -> `x` for a histogram `x`). */
function family(name: string, types: ReadonlyMap<string, string>): string {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && types.get(base) === 'histogram' ? base : name;
}

describe('monitoring: the exposition, the Grafana board and the docs agree', function () {
  const dir = tempDir();
  let db: Database;
  let types: Map<string, string>;

  before(async function () {
    ({ db } = await openFullyMonitored(dir));
    await allTraffic(db);
    types = families((await MonitoringPlugin.metrics(db)).body);
  });
  after(async function () {
    await db?.close();
    dir.remove();
  });

  it('every metric a board query names exists in the exposition', function () {
    const exprs = boardExpressions();
    expect(exprs.length).to.be.greaterThan(20);
    const named = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(botdb_[a-z0-9_]+)/g)].map((m) => m[1] as string)));
    const missing = [...named].filter((n) => !types.has(family(n, types)));
    expect(missing, 'metrics the board queries but botdb does not export').to.deep.equal([]);
    // A histogram is queried by its series, never by its bare family name.
    const bare = [...named].filter((n) => types.get(n) === 'histogram');
    expect(bare, 'histograms named without _bucket/_sum/_count').to.deep.equal([]);
  });

  it('the board covers latency percentiles, hit rate, batching rate, queue depth, errors and replica lag', function () {
    const all = boardExpressions().join('\n');
    for (const needle of [
      'histogram_quantile(0.99, sum by (le) (rate(botdb_operation_duration_seconds_bucket',
      'botdb_cache_hits_total',
      'botdb_batch_batching_ratio',
      'botdb_batch_queue_depth',
      'botdb_errors_total',
      'botdb_replica_lag_seconds',
    ]) {
      expect(all).to.contain(needle);
    }
  });

  it('the docs page lists exactly the botdb metrics exported', function () {
    const documented = new Set([...readFileSync(DOCS, 'utf8').matchAll(/^\| `(botdb_[a-z0-9_]+)` \|/gm)].map((m) => m[1] as string));
    const exported = new Set([...types.keys()].filter((n) => n.startsWith('botdb_')));
    expect([...exported].filter((n) => !documented.has(n)), 'exported but not documented').to.deep.equal([]);
    expect([...documented].filter((n) => !exported.has(n)), 'documented but not exported').to.deep.equal([]);
    expect(exported.size).to.equal(31);
  });

  it('names follow the conventions: botdb_ prefix, _total exactly on counters, base units', function () {
    for (const [name, type] of types) {
      expect(name).to.match(/^botdb_[a-z0-9_]+$/);
      expect(name.endsWith('_total'), name).to.equal(type === 'counter');
      expect(name, name).not.to.match(/_(ms|milliseconds|kb|mb)(_|$)/);
    }
  });
});
