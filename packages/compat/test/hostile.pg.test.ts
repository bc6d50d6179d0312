/** Hostile input through compat on PostgreSQL: never a throw, and a call that fails writes nothing. */
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'mocha';
import type { Database } from '@botdb/core';
import { initialize_sql_database, stop_database } from '@botdb/compat';
import { compatHostileTests } from './support/hostile.js';

const PG_URL = process.env.BOTDB_PG_URL === '' ? undefined : process.env.BOTDB_PG_URL;

describe('compat: hostile input (PostgreSQL)', function () {
  const schema = `botdb_test_${randomBytes(6).toString('hex')}`;
  let db: Database | null = null;
  before(async function () {
    if (PG_URL === undefined) {
      console.log('  (skipped compat on PostgreSQL: set BOTDB_PG_URL=postgres://user@host:port/db to run the PostgreSQL tests)');
      this.skip();
    }
    await stop_database();
    db = await initialize_sql_database({ url: PG_URL, postgresql: { schema } });
    if (db === null) throw new Error('could not open PostgreSQL');
  });
  after(async function () {
    if (db === null) return;
    await db.orm.em.getConnection().execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await stop_database();
  });

  compatHostileTests('PostgreSQL', () => db as Database);
});
