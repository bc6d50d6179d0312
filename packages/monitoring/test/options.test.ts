import { describe, it } from 'mocha';
import { expect } from 'chai';
import { DEFAULTS, MonitoringPlugin, resolveMonitoringOptions, type MonitoringPluginOptions } from '../src/index.js';

describe('monitoring: options', function () {
  it('resolves to these defaults (a changed default shows here)', function () {
    const { logger, ...rest } = resolveMonitoringOptions();
    expect(logger).to.equal(DEFAULTS.logger);
    expect(rest).to.deep.equal({
      port: undefined,
      host: '127.0.0.1',
      path: '/metrics',
      token: undefined,
      defaultMetrics: false,
      defaultLabels: {},
      slowStatementMs: 100,
      durationBuckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      batchSizeBuckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      reservoirSize: 4096,
    });
    expect(Object.isFrozen(resolveMonitoringOptions())).to.equal(true);
  });

  it('a server on a port binds 127.0.0.1 and serves /metrics without a token unless told otherwise', function () {
    expect(resolveMonitoringOptions({ port: 9464 })).to.include({ port: 9464, host: '127.0.0.1', path: '/metrics', token: undefined });
    expect(resolveMonitoringOptions({ port: 0, host: '::1', path: '/m', token: 't0k' })).to.include({ port: 0, host: '::1', path: '/m', token: 't0k' });
  });

  it('keeps given values, including Infinity to turn slow-statement logging off', function () {
    const o = resolveMonitoringOptions({ slowStatementMs: Infinity, reservoirSize: 10, durationBuckets: [0.1, 1], defaultLabels: { db: 'main' } });
    expect(o).to.include({ slowStatementMs: Infinity, reservoirSize: 10 });
    expect(o.durationBuckets).to.deep.equal([0.1, 1]);
    expect(o.defaultLabels).to.deep.equal({ db: 'main' });
  });

  const bad: [string, unknown][] = [
    ['options', 'yes'],
    ['unknown option', { slowQueryMs: 5 }],
    ['a server block (options are flat)', { server: { port: 9464 } }],
    ['port as a string', { port: '9464' }],
    ['port out of range', { port: 70000 }],
    ['port not an integer', { port: 1.5 }],
    ['empty host', { port: 1, host: '' }],
    ['path without slash', { port: 1, path: 'metrics' }],
    ['empty token', { port: 1, token: '' }],
    ['defaultMetrics not boolean', { defaultMetrics: 1 }],
    ['bad label name', { defaultLabels: { 'a-b': 'x' } }],
    ['reserved label name', { defaultLabels: { entity: 'x' } }],
    ['label value not a string', { defaultLabels: { db: 1 } }],
    ['negative threshold', { slowStatementMs: -1 }],
    ['NaN threshold', { slowStatementMs: NaN }],
    ['logger not a function', { logger: 'console' }],
    ['buckets not increasing', { durationBuckets: [1, 0.5] }],
    ['empty buckets', { batchSizeBuckets: [] }],
    ['zero reservoir', { reservoirSize: 0 }],
  ];
  for (const [what, input] of bad) {
    it(`fails at construction with BOTDB_ERR_CONFIG: ${what}`, function () {
      expect(() => new MonitoringPlugin(input as MonitoringPluginOptions)).to.throw().with.property('code', 'BOTDB_ERR_CONFIG');
    });
  }

  it('names the option in the message and never echoes a token', function () {
    const bad = () => resolveMonitoringOptions({ port: 1, token: 'has space' });
    expect(bad).to.throw(/"token"/);
    expect(bad).not.to.throw(/has space/);
    expect(() => resolveMonitoringOptions({ slowStatementMs: -1 })).to.throw(/slowStatementMs/);
  });
});
