import { after, before, describe } from 'mocha';
import type { Database } from '../src/index.js';
import { committedTests } from './support/committed.js';
import { PgSchemas, skipWithoutPg } from './support/pg.js';
import { RecorderPlugin } from './support/recorder.js';

describe('committed: every write path, exactly once, after commit (PostgreSQL)', function () {
  const schemas = new PgSchemas();
  const recorder = new RecorderPlugin();
  let db: Database | undefined;
  before(async function () {
    skipWithoutPg(this, 'committed on PostgreSQL');
    db = await schemas.open({ plugins: [recorder] });
  });
  after(async function () {
    await db?.close();
    await schemas.dropAll();
  });
  committedTests(() => ({ db: db as Database, recorder }));
});
