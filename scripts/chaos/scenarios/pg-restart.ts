/**
 * 2. PostgreSQL restarted (`pg_ctl restart -m fast`, then `-m immediate`) under batch traffic, on
 * a private cluster: every acknowledged write is stored exactly once, every failed write
 * rejected with a code, and writing works again afterwards.
 */
import { BatchPlugin, createDatabase } from '../deps.js';
import { checkStandard, outcome, sleep, stallProbe, tally, type Mode, type Outcome, type Scenario } from '../scenario.js';
import { startPgCluster } from '../support/pg-cluster.js';
import { startTraffic, storedIds } from '../support/traffic.js';

export const pgRestart: Scenario = {
  name: 'PostgreSQL restart -m fast / -m immediate under batch traffic',
  async run(mode: Mode): Promise<Outcome> {
    const cluster = await startPgCluster();
    if (typeof cluster === 'string') return { ...outcome(), skipped: cluster };
    const o = outcome();
    try {
      const db = await createDatabase({ url: cluster.url, postgresql: { poolSize: 8 }, plugins: [new BatchPlugin()] });
      const probe = stallProbe();
      const modes = mode === 'long' ? (['fast', 'immediate', 'fast', 'immediate', 'fast', 'immediate'] as const) : (['fast', 'immediate'] as const);
      try {
        for (const [i, m] of modes.entries()) {
          const chat = `restart-${i}-${m}`;
          const traffic = startTraffic(db, chat);
          await sleep(700);
          const before = traffic.acked.size;
          const t0 = performance.now();
          await cluster.restart(m);
          o.notes.push(`restart -m ${m}: ${Math.round(performance.now() - t0)} ms; ${before} writes acknowledged before it`);
          await sleep(1500);
          await traffic.stop();
          const t = tally(await storedIds(db, chat), traffic.acked);
          o.lost += t.lost;
          o.duplicates += t.duplicates;
          o.acked += traffic.acked.size;
          o.rounds++;
          o.notes.push(`  failed writes: ${traffic.failures.toString()}`);
          if (traffic.failures.uncoded > 0) o.checks.push({ name: `restart -m ${m}: failures carry a code`, ok: false, detail: `${traffic.failures.uncoded} without one` });
        }
        // Writing works again.
        const after = startTraffic(db, 'restart-after', 4);
        await sleep(300);
        await after.stop();
        o.checks.push({ name: 'writes succeed after the restarts', ok: after.acked.size > 0 && after.failures.total === 0, detail: `${after.acked.size} acknowledged, failures: ${after.failures.toString()}` });
      } finally {
        o.stallMs = probe.stop();
        await db.close();
      }
    } finally {
      await cluster.destroy();
    }
    checkStandard(o);
    return o;
  },
};
