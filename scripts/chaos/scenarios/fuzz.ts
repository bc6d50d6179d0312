/**
 * 8. Long fuzzing (`--long` only; the test suite runs the same properties with 200 calls): the
 * hostile-input properties of core (every data API call, SQLite, and SQLite against PostgreSQL
 * with `BOTDB_PG_URL`), of core with the cache and batch plugins, and of compat (`db_query`,
 * `db_get`, `db_save`), with 10,000 calls per entry point: 80,000 data API calls drawn over its
 * eight calls, 30,000 compat calls over its three.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { outcome, skipped, type Mode, type Outcome, type Scenario } from '../scenario.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function mocha(files: readonly string[], runs: number): Promise<{ ok: boolean; summary: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('../../../node_modules/mocha/bin/mocha.js', import.meta.url)), '--no-config', '--node-option', 'import=tsx', '--timeout', '0', '--exit', '--reporter', 'dot', ...files], {
      cwd: ROOT,
      env: { ...process.env, BOTDB_FUZZ_RUNS: String(runs) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolve({ ok: code === 0, summary: (out.match(/\d+ passing[^\n]*/)?.[0] ?? '') + (out.match(/\d+ failing/)?.[0] ? `, ${out.match(/\d+ failing/)![0]}` : '') }));
  });
}

export const fuzz: Scenario = {
  name: 'hostile-input fuzzing, 10,000 calls per entry point',
  async run(mode: Mode): Promise<Outcome> {
    if (mode !== 'long') return skipped('--long only (the test suite runs these properties with 200 calls)');
    const o = outcome();
    const core = await mocha(['packages/core/test/hostile.test.ts', 'packages/core/test/hostile.pg.test.ts', 'packages/batch/test/hostile.test.ts'], 80_000);
    o.checks.push({ name: 'data API calls: success or a code, nothing written by a refused call, SQLite = PostgreSQL', ok: core.ok, detail: core.summary });
    const compat = await mocha(['packages/compat/test/hostile.test.ts', 'packages/compat/test/hostile.pg.test.ts'], 30_000);
    o.checks.push({ name: 'compat calls: never throw, nothing written by a refused call', ok: compat.ok, detail: compat.summary });
    o.rounds = 2;
    return o;
  },
};
