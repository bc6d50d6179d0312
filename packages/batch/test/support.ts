import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type BotDbConfig, type Database } from '@botdb/core';

export const PG_URL: string | undefined = process.env.BOTDB_PG_URL || undefined;

export function skipUnless(ctx: Mocha.Context, value: string | undefined, env: string): void {
  if (value !== undefined) return;
  console.log(`  (skipped: set ${env} to run these tests)`);
  ctx.skip();
}

/** Temp SQLite files or fresh PostgreSQL schemas; `cleanup()` removes them. */
export class Databases {
  readonly dir = mkdtempSync(join(tmpdir(), 'botdb-batch-'));
  private readonly schemas: string[] = [];
  private readonly open: Database[] = [];

  constructor(readonly kind: 'sqlite' | 'pg') {}

  url(name: string): string {
    return this.kind === 'sqlite' ? `sqlite:${join(this.dir, `${name}.db`)}` : PG_URL!;
  }

  async create(config: BotDbConfig = {}, name = randomBytes(4).toString('hex')): Promise<Database> {
    const schema = `botdb_batch_${name}`;
    if (this.kind === 'pg' && !this.schemas.includes(schema)) this.schemas.push(schema);
    const db = await createDatabase({ ...config, url: this.url(name), ...(this.kind === 'pg' ? { postgresql: { schema } } : {}) });
    this.open.push(db);
    return db;
  }

  async cleanup(): Promise<void> {
    for (const db of this.open.splice(0)) await db.close().catch(() => undefined);
    if (this.kind === 'pg' && this.schemas.length > 0) {
      const admin = await createDatabase({ url: PG_URL!, syncSchema: false });
      for (const s of this.schemas.splice(0)) await admin.orm.em.getConnection().execute(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await admin.close();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function statements(db: Database): { list: string[]; reset(): void } {
  const list: string[] = [];
  db.pipeline.hooks.query.tap('test-statements', (e) => {
    if (e.source === 'botdb') list.push(e.sql);
  });
  return { list, reset: () => void list.splice(0) };
}

export function message(chat: string, n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    message_id: `m-${chat}-${n}`, time: n, chat_id: chat, chat_info_stream_id: chat, chat_info_platform: 'qq',
    chat_info_user_platform: 'qq', chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1,
    chat_info_last_active_time: 1, processed_plain_text: `t${n}`, ...extra,
  };
}

export function stream(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: `u-${id}`, user_nickname: 'n', ...extra };
}

/** A seeded PRNG (mulberry32). */
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
