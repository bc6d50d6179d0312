import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ChatStreams, createDatabase, ErrorCode, type Database } from '../src/index.js';
import { tempDir } from './support/sqlite.js';
// @botdb/test-suite depends on core; core's tests import it by path (see conformance.test.ts).
import { stallProbe } from '../../test-suite/src/index.js';

/** How long the other process holds the lock. */
const LOCK_MS = 2000;

/**
 * Another process: takes SQLite's exclusive lock on `file`, inserts a row named `holder` in
 * that transaction, prints LOCKED, and commits `ms` later. Plain CommonJS run with `node -e`
 * from this package, so better-sqlite3 resolves from its dependencies.
 */
const HOLDER = `
const Database = require('better-sqlite3');
const [file, ms] = process.argv.slice(1);
const db = new Database(file);
db.exec('BEGIN EXCLUSIVE');
db.prepare("INSERT INTO chat_streams (stream_id, create_time, last_active_time, platform, user_platform, user_id, user_nickname) VALUES ('holder', 1, 1, 'qq', 'qq', 'u', 'n')").run();
process.stdout.write('LOCKED\\n');
setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(ms));
`;

function stream(id: string): Record<string, unknown> {
  return { stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' };
}

/** Starts the lock holder; resolves once it holds the lock. */
async function holdLock(file: string, ms: number): Promise<ChildProcess> {
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(process.execPath, ['-e', HOLDER, file, String(ms)], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

/** Runs `fn` and returns its result with the longest event-loop stall (ms) seen meanwhile. */
async function worstStall<T>(fn: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  const probe = stallProbe();
  try {
    const value = await fn();
    return { value, stallMs: probe.stop() };
  } catch (e) {
    probe.stop();
    throw e;
  }
}

for (const journalMode of ['WAL', 'DELETE'] as const) {
  describe(`another process holding the SQLite lock (journal ${journalMode})`, function () {
    this.timeout(30_000);
    const dir = tempDir();
    let n = 0;
    const open = (busyTimeoutMs?: number): Promise<Database> =>
      createDatabase({ url: `sqlite:${dir.file(`lock-${++n}.db`)}`, sqlite: { journalMode, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) } });
    after(() => dir.remove());

    it('does not stall the event loop: writes, transactions, reads and sessions wait for it on timers and land after it', async function () {
      const db = await open();
      try {
        await db.create(ChatStreams, stream('before'));
        const holder = await holdLock(dir.file(`lock-${n}.db`), LOCK_MS);
        const exited = new Promise((r) => holder.once('exit', r));
        const { value, stallMs } = await worstStall(() =>
          Promise.all([
            db.create(ChatStreams, stream('direct')),
            db.transaction(async (tx) => {
              await tx.create(ChatStreams, stream('in-tx'));
              return tx.count(ChatStreams, {});
            }),
            db.get(ChatStreams, { filters: { stream_id: 'before' }, single: true }),
            db.session(async () => db.count(ChatStreams, {})),
          ]),
        );
        await exited;
        const [direct, inTxCount, read] = value;
        expect(read?.stream_id).to.equal('before');
        // Inside the transaction: "before", "holder" (committed first), "direct" (first in the
        // in-process write lock) and its own row.
        expect(inTxCount).to.equal(4);
        const holderRow = await db.get(ChatStreams, { filters: { stream_id: 'holder' }, single: true });
        expect(direct.id, 'the write committed after the lock holder').to.be.greaterThan(holderRow!.id as number);
        // A ratio, not a tight number: before the fix the loop stood still for the whole lock.
        expect(stallMs, `worst event-loop stall (lock held ${LOCK_MS} ms)`).to.be.lessThan(LOCK_MS / 4);
      } finally {
        await db.close();
      }
    });

    it('a session waits for the lock before it starts, without stalling, and its write lands after it', async function () {
      const db = await open();
      try {
        await db.create(ChatStreams, stream('before'));
        const holder = await holdLock(dir.file(`lock-${n}.db`), LOCK_MS);
        const exited = new Promise((r) => holder.once('exit', r));
        const { value: row, stallMs } = await worstStall(() => db.session(async () => db.create(ChatStreams, stream('in-session'))));
        await exited;
        const holderRow = await db.get(ChatStreams, { filters: { stream_id: 'holder' }, single: true });
        expect(row.id, 'the session committed after the lock holder').to.be.greaterThan(holderRow!.id as number);
        expect(stallMs, `worst event-loop stall (lock held ${LOCK_MS} ms)`).to.be.lessThan(LOCK_MS / 4);
      } finally {
        await db.close();
      }
    });

    it('rejects a write with BOTDB_ERR_QUERY (SQLITE_BUSY cause) once sqlite.busyTimeoutMs has passed, without stalling', async function () {
      const db = await open(200);
      try {
        await db.create(ChatStreams, stream('before'));
        const holder = await holdLock(dir.file(`lock-${n}.db`), LOCK_MS);
        const exited = new Promise((r) => holder.once('exit', r));
        const { value: errors, stallMs } = await worstStall(() =>
          Promise.all([
            db.create(ChatStreams, stream('direct')).then(() => undefined, (e: unknown) => e),
            db.transaction(async (tx) => tx.create(ChatStreams, stream('in-tx'))).then(() => undefined, (e: unknown) => e),
          ]),
        );
        for (const e of errors) {
          expect(e).to.have.property('code', ErrorCode.QUERY);
          expect((e as { cause?: { code?: string } }).cause?.code).to.match(/^SQLITE_BUSY/);
        }
        expect(stallMs).to.be.lessThan(LOCK_MS / 4);
        await exited;
        expect(await db.count(ChatStreams, { stream_id: { $in: ['direct', 'in-tx'] } })).to.equal(0);
        // The lock is free again: writing works.
        await db.create(ChatStreams, stream('after'));
      } finally {
        await db.close();
      }
    });
  });
}
