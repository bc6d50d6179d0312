import { after, before, describe } from 'mocha';
import type { Database } from '../src/index.js';
import { filterAgreementTests } from './support/filter-property.js';
import { PgSchemas, skipWithoutPg } from './support/pg.js';

for (const timeZone of ['local', 'utc'] as const) {
  describe(`filters: SQL and in-memory evaluation agree (PostgreSQL, timeZone ${timeZone})`, function () {
    const schemas = new PgSchemas();
    let db: Database | undefined;
    before(async function () {
      skipWithoutPg(this, 'filters on PostgreSQL');
      db = await schemas.open({ timeZone });
    });
    after(async function () {
      await db?.close();
      await schemas.dropAll();
    });
    filterAgreementTests(() => db as Database);
  });
}
