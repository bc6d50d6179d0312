import { describe, it } from 'mocha';
import { expect } from 'chai';
import { Counter, Histogram, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from '../src/metrics/fast.js';

describe('monitoring: hot-path metrics expose exactly what prom-client would', function () {
  const buckets = [0.001, 0.01, 0.1, 1];
  const labelSets: [string, string, string][] = [
    ['Messages', 'get', 'db'],
    ['Messages', 'get', 'l1'],
    ['ChatStreams', 'count', 'db'],
  ];

  it('a histogram: same buckets, sums and counts, in the same text', async function () {
    const fast = new Registry();
    const reference = new Registry();
    const f = new FastHistogram(fast, { name: 'h_seconds', help: 'help text', labelNames: ['entity', 'operation', 'layer'], buckets });
    const r = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['entity', 'operation', 'layer'], buckets, registers: [reference] });
    const values = [0.0005, 0.001, 0.005, 0.05, 0.5, 2, 30];
    values.forEach((v, i) => {
      const [entity, operation, layer] = labelSets[i % labelSets.length] as [string, string, string];
      f.observe(v, entity, operation, layer);
      r.observe({ entity, operation, layer }, v);
    });
    expect(await fast.metrics()).to.equal(await reference.metrics());
    expect(await fast.getMetricsAsJSON()).to.deep.equal(await reference.getMetricsAsJSON());
  });

  it('a counter with one, two and three labels, with default labels', async function () {
    const fast = new Registry();
    const reference = new Registry();
    fast.setDefaultLabels({ db: 'main' });
    reference.setDefaultLabels({ db: 'main' });
    const f1 = new FastCounter(fast, { name: 'c1_total', help: 'one', labelNames: ['entity'] });
    const f2 = new FastCounter(fast, { name: 'c2_total', help: 'two', labelNames: ['entity', 'level'] });
    const f3 = new FastCounter(fast, { name: 'c3_total', help: 'three', labelNames: ['a', 'b', 'c'] });
    const r1 = new Counter({ name: 'c1_total', help: 'one', labelNames: ['entity'], registers: [reference] });
    const r2 = new Counter({ name: 'c2_total', help: 'two', labelNames: ['entity', 'level'], registers: [reference] });
    const r3 = new Counter({ name: 'c3_total', help: 'three', labelNames: ['a', 'b', 'c'], registers: [reference] });
    f1.inc('Messages');
    f1.inc('Messages', '', '', 4);
    r1.inc({ entity: 'Messages' });
    r1.inc({ entity: 'Messages' }, 4);
    f2.inc('Messages', 'l1');
    f2.inc('Emoji', 'l2');
    r2.inc({ entity: 'Messages', level: 'l1' });
    r2.inc({ entity: 'Emoji', level: 'l2' });
    f3.inc('x', 'y', 'z');
    r3.inc({ a: 'x', b: 'y', c: 'z' });
    expect(await fast.metrics()).to.equal(await reference.metrics());
  });

  it('reset forgets every series', async function () {
    const reg = new Registry();
    const c = new FastCounter(reg, { name: 'c_total', help: 'c', labelNames: ['entity'] });
    c.inc('Messages');
    reg.resetMetrics();
    expect(await reg.metrics()).to.equal('# HELP c_total c\n# TYPE c_total counter\n');
  });
});
