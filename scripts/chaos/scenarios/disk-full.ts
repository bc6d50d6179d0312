/**
 * 6. The disk fills up: a SQLite database on a small tmpfs, written through the batch plugin
 * until the disk is full. Checked: writes fail with a code, nothing acknowledged is lost, the
 * file stays intact, and writes succeed again once space is freed. Mounting a tmpfs needs root
 * (or CAP_SYS_ADMIN); where it fails the scenario is skipped.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BatchPlugin, createDatabase } from '../deps.js';
import { checkStandard, Codes, outcome, sleep, stallProbe, tally, type Mode, type Outcome, type Scenario } from '../scenario.js';
import { startTraffic, storedIds } from '../support/traffic.js';

const run = promisify(execFile);
const SIZE = '8m';

export const diskFull: Scenario = {
  name: 'disk full (SQLite on a small tmpfs)',
  async run(mode: Mode): Promise<Outcome> {
    const mnt = mkdtempSync(join(tmpdir(), 'botdb-chaos-disk-'));
    try {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${SIZE}`, 'tmpfs', mnt]);
    } catch (e) {
      rmSync(mnt, { recursive: true, force: true });
      return { ...outcome(), skipped: `cannot mount a tmpfs here (${e instanceof Error ? e.message.split('\n')[0] : String(e)})` };
    }
    const o = outcome();
    const failures = new Codes();
    let recovered = 0;
    let integrity = '';
    try {
      const file = join(mnt, 'full.db');
      const db = await createDatabase({ url: `sqlite:${file}`, plugins: [new BatchPlugin({ retryForMs: 1000 })] });
      const probe = stallProbe();
      try {
        const rounds = mode === 'long' ? 3 : 1;
        for (let r = 0; r < rounds; r++) {
          // Leave ~256 KiB free: the database grows into it and then fails.
          const { bavail, bsize } = await statfs(mnt);
          const filler = join(mnt, `filler-${r}`);
          writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 256 * 1024)));
          const chat = `full-${r}`;
          const traffic = startTraffic(db, chat, 8);
          const deadline = performance.now() + 20_000;
          while (traffic.failures.total < 20 && performance.now() < deadline) await sleep(50);
          await traffic.stop();
          failures.merge(traffic.failures);
          unlinkSync(filler);
          // Space is back: writes succeed again.
          const again = startTraffic(db, `${chat}-after`, 4);
          await sleep(300);
          await again.stop();
          recovered += again.acked.size;
          if (again.failures.total > 0) o.notes.push(`round ${r}: after freeing space, failed writes: ${again.failures.toString()}`);
          const t = tally(await storedIds(db, chat), traffic.acked);
          const t2 = tally(await storedIds(db, `${chat}-after`), again.acked);
          o.lost += t.lost + t2.lost;
          o.duplicates += t.duplicates + t2.duplicates;
          o.acked += traffic.acked.size + again.acked.size;
          o.rounds++;
          o.notes.push(`round ${r}: ${traffic.acked.size} acknowledged before the disk filled, then failures: ${traffic.failures.toString()}; ${again.acked.size} acknowledged after freeing space`);
        }
        const rows = (await db.orm.em.getConnection().execute('PRAGMA integrity_check')) as Record<string, unknown>[];
        integrity = String(Object.values(rows[0] ?? {})[0]);
      } finally {
        o.stallMs = probe.stop();
        await db.close();
      }
    } finally {
      await run('umount', [mnt]).catch(() => undefined);
      rmSync(mnt, { recursive: true, force: true });
    }
    o.checks.push({ name: 'writes failed when the disk was full', ok: failures.total > 0, detail: `${failures.total}` });
    o.checks.push({ name: 'failures carry a code', ok: failures.uncoded === 0, detail: failures.toString() });
    o.checks.push({ name: 'writes succeed after space is freed', ok: recovered > 0, detail: `${recovered} acknowledged` });
    o.checks.push({ name: 'integrity_check', ok: integrity === 'ok', detail: integrity });
    checkStandard(o);
    return o;
  },
};
