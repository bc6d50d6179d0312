import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { createDatabase, type BotDbConfig, type Database } from '../src/index.js';
import { SQLITE_DRIVERS, tempDir } from './support/sqlite.js';

async function pragma(db: Database, name: string): Promise<unknown> {
  const rows = (await db.orm.em.getConnection().execute(`PRAGMA ${name}`)) as Record<string, unknown>[];
  return Object.values(rows[0] ?? {})[0];
}

describe('SQLite pragmas', function () {
  const dir = tempDir();
  let n = 0;
  const open = (config: BotDbConfig) => createDatabase({ ...config, url: `sqlite:${dir.file(`pragmas-${++n}.db`)}` });
  after(function () {
    dir.remove();
  });

  for (const driver of SQLITE_DRIVERS) {
    it(`applies the defaults on ${driver}: WAL, synchronous NORMAL, busy_timeout 60000, foreign_keys on`, async function () {
      const db = await open({ sqlite: { driver } });
      try {
        expect(await pragma(db, 'journal_mode')).to.equal('wal');
        expect(await pragma(db, 'synchronous')).to.equal(1);
        expect(await pragma(db, 'busy_timeout')).to.equal(60_000);
        expect(await pragma(db, 'foreign_keys')).to.equal(1);
      } finally {
        await db.close();
      }
    });

    it(`applies configured values on ${driver}`, async function () {
      const db = await open({ sqlite: { driver, synchronous: 'FULL', busyTimeoutMs: 1234, journalMode: 'DELETE' } });
      try {
        expect(await pragma(db, 'journal_mode')).to.equal('delete');
        expect(await pragma(db, 'synchronous')).to.equal(2);
        expect(await pragma(db, 'busy_timeout')).to.equal(1234);
      } finally {
        await db.close();
      }
    });

    it(`applies them inside a session too (same connection settings) on ${driver}`, async function () {
      const db = await open({ sqlite: { driver } });
      try {
        const inSession = await db.session(async (em) => (await em.getConnection().execute('PRAGMA busy_timeout', [], 'all', em.getTransactionContext())) as Record<string, unknown>[]);
        expect(Object.values(inSession[0] ?? {})[0]).to.equal(60_000);
      } finally {
        await db.close();
      }
    });
  }
});
