import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type BotDbConfig, type Database } from '@botdb/core';

export const PG_URL: string | undefined = process.env.BOTDB_PG_URL || undefined;
export const REDIS_URL: string | undefined = process.env.BOTDB_REDIS_URL || undefined;

export function skipUnless(ctx: Mocha.Context, value: string | undefined, env: string): void {
  if (value !== undefined) return;
  console.log(`  (skipped: set ${env} to run these tests)`);
  ctx.skip();
}

/** Opens databases in a temp dir (SQLite) or fresh schemas (PostgreSQL); `cleanup()` removes them. */
export class Databases {
  private readonly dir = mkdtempSync(join(tmpdir(), 'botdb-cache-'));
  private readonly schemas: string[] = [];
  private readonly open: Database[] = [];

  constructor(readonly kind: 'sqlite' | 'pg') {}

  /** A new, empty database; `name` lets two instances share one (SQLite file or PG schema). */
  async create(config: BotDbConfig = {}, name = randomBytes(4).toString('hex')): Promise<Database> {
    let db: Database;
    if (this.kind === 'sqlite') {
      db = await createDatabase({ ...config, url: `sqlite:${join(this.dir, `${name}.db`)}` });
    } else {
      const schema = `botdb_cache_${name}`;
      if (!this.schemas.includes(schema)) this.schemas.push(schema);
      db = await createDatabase({ ...config, url: PG_URL!, postgresql: { schema } });
    }
    this.open.push(db);
    return db;
  }

  fileOf(name: string): string {
    return join(this.dir, `${name}.db`);
  }

  async cleanup(): Promise<void> {
    for (const db of this.open.splice(0)) await db.close();
    if (this.kind === 'pg' && this.schemas.length > 0) {
      const admin = await createDatabase({ url: PG_URL!, syncSchema: false });
      for (const s of this.schemas.splice(0)) await admin.orm.em.getConnection().execute(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await admin.close();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Counts SQL statements a database runs. */
export function statementCounter(db: Database): { readonly count: number; reset(): void } {
  let n = 0;
  db.pipeline.hooks.query.tap('test-counter', () => {
    n++;
  });
  return {
    get count() {
      return n;
    },
    reset() {
      n = 0;
    },
  };
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
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

export function stream(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: `u-${id}`, user_nickname: 'n', ...extra };
}

export function message(chat: string, time: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    message_id: `m-${chat}-${time}`, time, chat_id: chat, chat_info_stream_id: chat, chat_info_platform: 'qq',
    chat_info_user_platform: 'qq', chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1,
    chat_info_last_active_time: 1, user_id: 'u', processed_plain_text: `t${time}`, ...extra,
  };
}
