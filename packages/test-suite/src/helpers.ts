/**
 * Helpers for plugin test suites: temporary databases on SQLite or PostgreSQL, statement
 * counting, a seeded PRNG and the skip notice for services that are not configured.
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type BotDbConfig, type Database } from '@botdb/core';

/** `BOTDB_PG_URL`, or undefined: the `*.pg.test.ts` files skip then. */
export const PG_URL: string | undefined = process.env.BOTDB_PG_URL || undefined;
/** `BOTDB_REDIS_URL`, or undefined: the `*.redis.test.ts` files skip then. */
export const REDIS_URL: string | undefined = process.env.BOTDB_REDIS_URL || undefined;

/** Skips the calling suite (from a `before` hook) with a one-line notice when `value` is unset. */
export function skipUnless(ctx: Mocha.Context, value: string | undefined, env: string): void {
  if (value !== undefined) return;
  console.log(`  (skipped: set ${env} to run these tests)`);
  ctx.skip();
}

/**
 * Databases for tests: temp SQLite files, or fresh PostgreSQL schemas on `PG_URL`. Two calls
 * with the same `name` share one database. `cleanup()` closes them and removes what was made.
 */
export class TestDatabases {
  readonly dir = mkdtempSync(join(tmpdir(), 'botdb-test-'));
  private readonly schemas: string[] = [];
  private readonly open: Database[] = [];

  constructor(readonly kind: 'sqlite' | 'pg') {}

  /** The URL of the database called `name`. */
  url(name: string): string {
    return this.kind === 'sqlite' ? `sqlite:${this.fileOf(name)}` : PG_URL!;
  }

  /** The SQLite file of the database called `name`. */
  fileOf(name: string): string {
    return join(this.dir, `${name}.db`);
  }

  async create(config: BotDbConfig = {}, name = randomBytes(4).toString('hex')): Promise<Database> {
    const schema = `botdb_t_${name}`;
    if (this.kind === 'pg' && !this.schemas.includes(schema)) this.schemas.push(schema);
    const db = await createDatabase({ ...config, url: this.url(name), ...(this.kind === 'pg' ? { postgresql: { ...config.postgresql, schema } } : {}) });
    this.open.push(db);
    return db;
  }

  async cleanup(): Promise<void> {
    for (const db of this.open.splice(0)) await db.close().catch(() => undefined);
    if (this.kind === 'pg' && this.schemas.length > 0) await dropSchemas(PG_URL!, this.schemas.splice(0));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Drops PostgreSQL schemas a test made (and everything in them), through a connection of its own. */
export async function dropSchemas(url: string, schemas: readonly string[]): Promise<void> {
  const admin = await createDatabase({ url, syncSchema: false });
  try {
    for (const s of schemas) await admin.orm.em.getConnection().execute(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await admin.close();
  }
}

/** Every SQL statement a database runs (botdb's and MikroORM's), as they run. */
export function recordStatements(db: Database): { readonly list: string[]; readonly count: number; reset(): void } {
  const list: string[] = [];
  db.pipeline.hooks.query.tap('test-statements', (e) => {
    list.push(e.sql);
  });
  return {
    list,
    get count() {
      return list.length;
    },
    reset: () => void list.splice(0),
  };
}

/**
 * Measures the worst event-loop stall: the longest gap between ticks of a 5 ms timer, counting
 * the gap up to `stop()` (a stall that starts and ends before a sampling histogram's first
 * sample would escape it). `stop()` returns it in ms, the timer's own period taken off.
 */
export function stallProbe(): { stop(): number } {
  let last = performance.now();
  let worst = 0;
  const tick = (): void => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  };
  const timer = setInterval(tick, 5);
  return {
    stop() {
      tick();
      clearInterval(timer);
      return Math.max(0, worst - 5);
    },
  };
}

/** A small seeded PRNG (mulberry32), so a failing randomized run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The local PostgreSQL cluster a test may restart (Debian's pg_ctlcluster, as root), or
 * undefined on a machine where it cannot.
 */
export function localPgCluster(): { version: string; restart(): Promise<void> } | undefined {
  if (!existsSync('/etc/postgresql') || process.getuid?.() !== 0 || !existsSync('/usr/bin/pg_ctlcluster')) return undefined;
  const version = readdirSync('/etc/postgresql')[0];
  if (version === undefined) return undefined;
  return {
    version,
    // Asynchronous, so that a test's traffic keeps flowing while PostgreSQL goes down and comes back.
    restart: async () => {
      await promisify(execFile)('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart', '-m', 'fast']);
    },
  };
}
