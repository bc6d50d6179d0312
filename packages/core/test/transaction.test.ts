import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ChatStreams, Messages, createDatabase, type CommitContext, type Database as BotDb } from '../src/index.js';
import { SQLITE_DRIVERS, tempDir } from './support/sqlite.js';

function stream(id: string): Record<string, unknown> {
  return { stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' };
}

for (const driver of SQLITE_DRIVERS) {
  describe(`db.transaction() on SQLite (${driver})`, function () {
    const dir = tempDir();
    let db: BotDb;
    const commits: CommitContext[] = [];
    before(async function () {
      db = await createDatabase({ url: `sqlite:${dir.file('tx.db')}`, sqlite: { driver } });
      db.pipeline.hooks.committed.tapPromise('recorder', async (ctx) => {
        commits.push(ctx);
      });
    });
    after(async function () {
      await db.close();
      dir.remove();
    });

    it('commits all its data API writes together, with one committed event', async function () {
      commits.length = 0;
      const ids = await db.transaction(async () => {
        const a = await db.create(ChatStreams, stream('t1'));
        await db.update(ChatStreams, { stream_id: 't1' }, { message_count: { $inc: 2 } });
        const b = await db.create(ChatStreams, stream('t2'));
        // Reads inside see the transaction's own writes.
        expect(await db.count(ChatStreams, { stream_id: { $in: ['t1', 't2'] } })).to.equal(2);
        return [a.id, b.id];
      });
      expect(ids).to.have.length(2);
      expect(commits).to.have.length(1);
      expect(commits[0]!.changes.map((c) => c.kind)).to.deep.equal(['insert', 'update', 'insert']);
    });

    it('rolls back everything when fn throws, and publishes nothing', async function () {
      commits.length = 0;
      const err = await db
        .transaction(async () => {
          await db.create(ChatStreams, stream('t3'));
          throw new Error('no');
        })
        .catch((e: Error) => e);
      expect(err).to.have.property('message', 'no');
      expect(await db.count(ChatStreams, { stream_id: 't3' })).to.equal(0);
      expect(commits).to.have.length(0);
    });

    it('a session inside a transaction is refused with a code (it could only deadlock)', async function () {
      const err = await db.transaction(() => db.session(async () => 1)).catch((e: unknown) => e);
      expect(err).to.have.property('code', 'BOTDB_ERR_BAD_QUERY');
    });

    it('a transaction inside a session joins it', async function () {
      const err = await db
        .session(async () => {
          await db.transaction(async () => {
            await db.create(ChatStreams, stream('t4'));
          });
          throw new Error('roll the session back');
        })
        .catch((e: Error) => e);
      expect(err).to.be.instanceOf(Error);
      expect(await db.count(ChatStreams, { stream_id: 't4' })).to.equal(0);
    });

    it('fn gets a handle bound to the transaction; with ambient: false only the handle joins it', async function () {
      commits.length = 0;
      const seen = await db.transaction(
        async (tx) => {
          await tx.create(ChatStreams, stream('h1'));
          await tx.update(ChatStreams, { stream_id: 'h1' }, { message_count: { $inc: 1 } });
          // The handle sees the transaction's own writes; the database outside it does not yet
          // (with the sqlite3 driver there is no second connection to look from: it would wait).
          const outside = driver === 'better-sqlite3' ? await db.count(ChatStreams, { stream_id: 'h1' }) : 0;
          return { inside: await tx.count(ChatStreams, { stream_id: 'h1' }), outside };
        },
        { ambient: false },
      );
      expect(seen).to.deep.equal({ inside: 1, outside: 0 });
      expect(commits).to.have.length(1);
      expect(commits[0]!.changes.map((c) => c.kind)).to.deep.equal(['insert', 'update']);
      expect((await db.get(ChatStreams, { filters: { stream_id: 'h1' }, single: true }))?.message_count).to.equal(1);
    });

    it('a handle rolls back with its transaction, and refuses use after the transaction ended', async function () {
      let leaked: BotDb | undefined;
      const err = await db
        .transaction(
          async (tx) => {
            leaked = tx;
            await tx.create(ChatStreams, stream('h2'));
            throw new Error('no');
          },
          { ambient: false },
        )
        .catch((e: Error) => e);
      expect(err).to.have.property('message', 'no');
      expect(await db.count(ChatStreams, { stream_id: 'h2' })).to.equal(0);
      for (const late of [() => leaked!.get(ChatStreams, {}), () => leaked!.create(ChatStreams, stream('h3')), () => leaked!.transaction(async () => 1), () => leaked!.close()]) {
        expect(await late().catch((e: unknown) => e)).to.have.property('code', 'BOTDB_ERR_BAD_QUERY');
      }
      expect(await db.count(ChatStreams, { stream_id: 'h3' })).to.equal(0);
    });

    it('a non-ambient transaction inside a session joins the session', async function () {
      const err = await db
        .session(async () => {
          await db.transaction(async (tx) => void (await tx.create(ChatStreams, stream('h4'))), { ambient: false });
          expect(await db.count(ChatStreams, { stream_id: 'h4' })).to.equal(1);
          throw new Error('roll the session back');
        })
        .catch((e: Error) => e);
      expect(err).to.have.property('message', 'roll the session back');
      expect(await db.count(ChatStreams, { stream_id: 'h4' })).to.equal(0);
    });

    it('concurrent transactions and sessions serialize without deadlock', async function () {
      const work = Array.from({ length: 20 }, (_, i) =>
        i % 3 === 0
          ? db.session(async (em) => {
              em.persist(em.create(ChatStreams, stream(`c${i}`) as never));
              await new Promise((r) => setTimeout(r, 2));
            })
          : db.transaction(async () => {
              await db.create(ChatStreams, stream(`c${i}`));
              await new Promise((r) => setTimeout(r, 2));
            }),
      );
      await Promise.all(work);
      expect(await db.count(ChatStreams, { stream_id: { $in: Array.from({ length: 20 }, (_, i) => `c${i}`) } })).to.equal(20);
    });
  });
}

describe('async hooks', function () {
  it('the data API and non-ambient transactions leave them off; an ambient scope turns them off again when idle', async function () {
    this.timeout(30_000);
    // In a fresh process: this one has had them on since some test's MikroORM flush.
    const script = fileURLToPath(new URL('./support/async-hooks.ts', import.meta.url));
    const dir = tempDir();
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, dir.file('hooks.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        child.stdout.on('data', (d: Buffer) => (text += d.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
      });
      expect(JSON.parse(out.trim().split('\n').pop()!)).to.deep.equal({ start: false, afterDataApi: false, insideAmbient: true, idleAfterAmbient: false });
    } finally {
      dir.remove();
    }
  });
});

describe('the SQLite fast writer when another process holds the lock', function () {
  const dir = tempDir();
  after(() => dir.remove());

  it('waits for the lock and the write lands', async function () {
    const file = dir.file('busy.db');
    const db = await createDatabase({ url: `sqlite:${file}` });
    const holder = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./support/lock-holder.ts', import.meta.url)), file, '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const start = performance.now();
    const row = await db.create(Messages, {
      message_id: 'm', time: 1, chat_id: 'c', chat_info_stream_id: 'c', chat_info_platform: 'qq', chat_info_user_platform: 'qq',
      chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1, chat_info_last_active_time: 1,
    });
    expect(row.id).to.be.a('number');
    expect(performance.now() - start, 'it waited for the other process').to.be.greaterThan(100);
    expect(await db.count(ChatStreams, { stream_id: 'other' })).to.equal(1);
    await new Promise((r) => holder.once('exit', r));
    await db.close();
  });
});
