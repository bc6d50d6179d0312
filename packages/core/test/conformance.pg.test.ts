import { after, before, describe } from 'mocha';
import { runConformanceSuite } from '../../test-suite/src/index.js';
import { PgSchemas, skipWithoutPg } from './support/pg.js';

describe('conformance on PostgreSQL', function () {
  const schemas = new PgSchemas();
  before(function () {
    skipWithoutPg(this, 'conformance on PostgreSQL');
  });
  after(async function () {
    await schemas.dropAll();
  });

  runConformanceSuite('postgresql', () => schemas.open());
  runConformanceSuite('postgresql, timeZone utc', () => schemas.open({ timeZone: 'utc' }));
});
