/** Finding the Prometheus binaries the promtool and end-to-end tests need. */
import { spawnSync } from 'node:child_process';

/** Whether `name` runs (`name --version` exits 0). */
export function hasBinary(name: string): boolean {
  const r = spawnSync(name, ['--version'], { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined && r.status === 0;
}

/**
 * Skips the calling suite (from a `before` hook) with a one-line notice when `name` is not on
 * PATH, unless BOTDB_REQUIRE_PROMETHEUS=1 (CI), where a missing binary fails instead.
 */
export function skipWithout(ctx: Mocha.Context, name: 'prometheus' | 'promtool', what: string): void {
  if (hasBinary(name)) return;
  const hint = 'install it with packages/monitoring/scripts/install-prometheus.sh (Debian package "prometheus")';
  if (process.env.BOTDB_REQUIRE_PROMETHEUS === '1') throw new Error(`${name} is not on PATH and BOTDB_REQUIRE_PROMETHEUS=1: ${hint}`);
  console.log(`  (skipped ${what}: ${name} is not on PATH; ${hint})`);
  ctx.skip();
}
