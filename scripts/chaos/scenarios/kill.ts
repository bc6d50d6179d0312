/**
 * 1. kill -9 and SIGTERM of a bot process writing through the batch plugin (the crash tests'
 * writer child): every acknowledged write (SIGKILL) or issued write (SIGTERM, which drains) is
 * stored exactly once; on SQLite, `PRAGMA integrity_check` says ok.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, prng, runChild, type BotDbConfig } from '../deps.js';
import { checkStandard, outcome, tally, type Mode, type Outcome, type Scenario } from '../scenario.js';
import { storedIds } from '../support/traffic.js';

/** Kills `kills` children with SIGKILL and `terms` with SIGTERM; returns the SQLite files whose integrity check failed. */
async function killRuns(o: Outcome, label: string, target: (run: number) => { url: string; schema?: string }, kills: number, terms: number): Promise<number> {
  let corrupt = 0;
  const rand = prng(7);
  for (let run = 0; run < kills + terms; run++) {
    const signal = run < kills ? 'SIGKILL' : 'SIGTERM';
    const { url, schema } = target(run);
    const { issued, acked, closed } = await runChild(url, schema, signal, 150 + Math.floor(rand() * 600));
    const config: BotDbConfig = { url, ...(schema ? { postgresql: { schema } } : {}) };
    const db = await createDatabase(config);
    try {
      const t = tally(await storedIds(db, 'crash'), signal === 'SIGKILL' ? acked : issued);
      o.lost += t.lost;
      o.duplicates += t.duplicates;
      o.acked += acked.size;
      o.rounds++;
      if (signal === 'SIGTERM' && !closed) o.checks.push({ name: `${label} SIGTERM run ${run}: drained and closed`, ok: false, detail: 'no CLOSED line' });
      if (url.startsWith('sqlite:')) {
        const rows = (await db.orm.em.getConnection().execute('PRAGMA integrity_check')) as Record<string, unknown>[];
        const verdict = String(Object.values(rows[0] ?? {})[0]);
        if (verdict !== 'ok') {
          corrupt++;
          o.notes.push(`${label} run ${run}: integrity_check says ${verdict}`);
        }
      }
    } finally {
      await db.close();
    }
  }
  o.notes.push(`${label}: ${kills} x SIGKILL, ${terms} x SIGTERM`);
  return corrupt;
}

export const kill: Scenario = {
  name: 'kill -9 / SIGTERM of a batch writer',
  async run(mode: Mode): Promise<Outcome> {
    const o = outcome();
    const [kills, terms] = mode === 'long' ? [12, 3] : [2, 1];
    let corrupt = 0;
    const dir = mkdtempSync(join(tmpdir(), 'botdb-chaos-kill-'));
    try {
      corrupt = await killRuns(o, 'SQLite', (run) => ({ url: `sqlite:${join(dir, `kill-${run}.db`)}` }), kills, terms);
      const pg = process.env.BOTDB_PG_URL || undefined;
      if (pg !== undefined) {
        const schemas: string[] = [];
        try {
          await killRuns(o, 'PostgreSQL', () => {
            const schema = `botdb_chaos_${randomBytes(4).toString('hex')}`;
            schemas.push(schema);
            return { url: pg, schema };
          }, mode === 'long' ? kills : 1, terms);
        } finally {
          const admin = await createDatabase({ url: pg, syncSchema: false });
          for (const s of schemas) await admin.orm.em.getConnection().execute(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
          await admin.close();
        }
      } else {
        o.notes.push('PostgreSQL: skipped (set BOTDB_PG_URL)');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    o.checks.push({ name: 'SQLite integrity_check ok after every kill', ok: corrupt === 0, detail: `${corrupt} not ok` });
    checkStandard(o);
    return o;
  },
};
