/**
 * The databases the bench runs on: a fresh temp SQLite file per fixture, and, when
 * `BOTDB_PG_URL` is set, a dedicated PostgreSQL schema that is emptied per fixture and dropped
 * at the end of the run. Each scenario runs in a process of its own: that process `close()`s its
 * target (its SQLite files go, the PostgreSQL schema stays for the next scenario's process), and
 * the process that started them all calls `cleanup()` once at the end. Fixtures are seeded
 * through botdb with no plugins, then closed, so every implementation under test opens the same
 * data with its own connections.
 */
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type BotDbConfig } from '@botdb/core';
import { TURN_TABLES, World, resolveWorkloadOptions, seedWorld, type WorkloadOptions } from '@botdb/example-chat-sim';
import pg from 'pg';

/** The PostgreSQL schema the bench owns for the duration of a run. */
export const PG_SCHEMA = 'botdb_bench';

/** One seeded database. */
export interface Fixture {
  readonly dialect: 'sqlite' | 'postgresql';
  /** botdb's config for it (no plugins). */
  readonly config: BotDbConfig;
  /** SQLite: the file. */
  readonly file?: string;
  /** PostgreSQL: the server URL and the schema. */
  readonly pgUrl?: string;
  readonly schema?: string;
  readonly world: World;
  dispose(): Promise<void>;
}

/** A database engine to run on. */
export interface Target {
  readonly dialect: 'sqlite' | 'postgresql';
  /** A fresh database holding `world`. */
  fixture(workload: Partial<WorkloadOptions>): Promise<Fixture>;
  /** The engine's version, for the results. */
  version(): Promise<string>;
  /**
   * Ends this process's use of the target: removes the SQLite files it made and closes its
   * connections, but leaves the PostgreSQL schema, which the next scenario's process re-creates.
   */
  close(): Promise<void>;
  /** Drops what the bench created, the PostgreSQL schema included (once, at the end of the run). */
  cleanup(): Promise<void>;
}

let fileSeq = 0;

async function seed(config: BotDbConfig, workload: Partial<WorkloadOptions>): Promise<World> {
  const world = new World(resolveWorkloadOptions({ tag: 'bench', ...workload }));
  const db = await createDatabase({ ...config, plugins: [] });
  try {
    await seedWorld(db, world);
  } finally {
    await db.close();
  }
  return world;
}

/** SQLite in temp files (the fast read path and MikroORM's connection both open the same file). */
export function sqliteTarget(): Target {
  const files: string[] = [];
  const close = async (): Promise<void> => {
    for (const f of files.splice(0)) removeSqlite(f);
  };
  return {
    dialect: 'sqlite',
    async fixture(workload) {
      const file = join(tmpdir(), `${sqlitePrefix(process.pid)}${++fileSeq}.db`);
      files.push(file);
      const world = await seed({ url: `sqlite:${file}` }, workload);
      // The schema exists now: cases skip the sync at open (a startup cost, not what is measured).
      const config: BotDbConfig = { url: `sqlite:${file}`, syncSchema: false };
      return { dialect: 'sqlite', config, file, world, dispose: async () => removeSqlite(file) };
    },
    async version() {
      const { default: Database } = await import('better-sqlite3');
      const conn = new Database(':memory:');
      try {
        return (conn.prepare('select sqlite_version() as v').get() as { v: string }).v;
      } finally {
        conn.close();
      }
    },
    close,
    cleanup: close,
  };
}

function removeSqlite(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}

function sqlitePrefix(pid: number): string {
  return `botdb-bench-${pid}-`;
}

/** Removes SQLite files a process left behind (one that crashed before its `close()`). */
export function removeSqliteFilesOf(pid: number): void {
  const prefix = sqlitePrefix(pid);
  for (const name of readdirSync(tmpdir())) if (name.startsWith(prefix)) rmSync(join(tmpdir(), name), { force: true });
}

/** PostgreSQL at `url`, in schema `botdb_bench`. */
export function postgresTarget(url: string): Target {
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  // An idle connection ended by the server must not crash the run; the pool replaces it.
  admin.on('error', () => undefined);
  let synced = false;
  return {
    dialect: 'postgresql',
    async fixture(workload) {
      const config: BotDbConfig = { url, postgresql: { schema: PG_SCHEMA }, syncSchema: false };
      // Creates the schema and tables on first use; afterwards empty the tables the bench writes.
      if (!synced) {
        await admin.query(`DROP SCHEMA IF EXISTS "${PG_SCHEMA}" CASCADE`);
        const db = await createDatabase({ ...config, syncSchema: true, plugins: [] });
        await db.close();
        synced = true;
      }
      const tables = Object.keys(TURN_TABLES).map((t) => `"${PG_SCHEMA}"."${t}"`);
      await admin.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`);
      const world = await seed(config, workload);
      await admin.query(`ANALYZE ${tables.join(', ')}`);
      return { dialect: 'postgresql', config, pgUrl: url, schema: PG_SCHEMA, world, dispose: async () => undefined };
    },
    async version() {
      const r = await admin.query<{ v: string }>("select current_setting('server_version') as v");
      return r.rows[0]?.v ?? '?';
    },
    async close() {
      await admin.end();
    },
    async cleanup() {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${PG_SCHEMA}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
