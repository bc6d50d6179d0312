/**
 * 3. The reply to COMMIT lost: a proxy between botdb and PostgreSQL forwards some COMMITs, lets
 * the server commit, and cuts the connection before the answer arrives. The guarantee checked:
 * every acknowledged write stored, and nothing stored twice (a write whose COMMIT outcome is
 * unknown must not be retried blindly).
 */
import { randomBytes } from 'node:crypto';
import { BatchPlugin, createDatabase } from '../deps.js';
import { checkStandard, outcome, sleep, stallProbe, tally, type Mode, type Outcome, type Scenario } from '../scenario.js';
import { startCommitProxy } from '../support/commit-proxy.js';
import { startTraffic, storedIds } from '../support/traffic.js';

export const commitReply: Scenario = {
  name: 'COMMIT reply dropped by a TCP proxy (PostgreSQL)',
  async run(mode: Mode): Promise<Outcome> {
    const pg = process.env.BOTDB_PG_URL || undefined;
    if (pg === undefined) return { ...outcome(), skipped: 'set BOTDB_PG_URL' };
    const target = new URL(pg);
    const o = outcome();
    const wanted = mode === 'long' ? 20 : 5;
    let armed = false;
    let seen = 0;
    // Drop one COMMIT in 8 while armed (schema sync and warm-up pass untouched).
    const proxy = await startCommitProxy({ host: target.hostname, port: Number(target.port || 5432) }, () => armed && ++seen % 8 === 0);
    const via = new URL(pg);
    via.hostname = '127.0.0.1';
    via.port = String(proxy.port);
    const schema = `botdb_chaos_${randomBytes(4).toString('hex')}`;
    try {
      const db = await createDatabase({ url: via.toString(), postgresql: { schema, poolSize: 8 }, plugins: [new BatchPlugin()] });
      const probe = stallProbe();
      const chat = 'commit-reply';
      const traffic = startTraffic(db, chat, 16);
      try {
        await sleep(300);
        armed = true;
        const deadline = performance.now() + (mode === 'long' ? 60_000 : 20_000);
        while (proxy.dropped < wanted && performance.now() < deadline) await sleep(50);
        armed = false;
        await sleep(500);
        await traffic.stop();
        const t = tally(await storedIds(db, chat), traffic.acked);
        o.lost = t.lost;
        o.duplicates = t.duplicates;
        o.acked = traffic.acked.size;
        o.rounds = proxy.dropped;
        o.notes.push(`${proxy.dropped} COMMIT replies dropped of ${proxy.commits} COMMITs; failed writes: ${traffic.failures.toString()}`);
        if (traffic.failures.uncoded > 0) o.checks.push({ name: 'failures carry a code', ok: false, detail: `${traffic.failures.uncoded} without one` });
        o.checks.push({ name: 'COMMIT replies dropped', ok: proxy.dropped > 0, detail: `${proxy.dropped}` });
      } finally {
        o.stallMs = probe.stop();
        await db.close();
      }
    } finally {
      await proxy.close();
      const admin = await createDatabase({ url: pg, syncSchema: false });
      await admin.orm.em.getConnection().execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.close();
    }
    checkStandard(o);
    return o;
  },
};
