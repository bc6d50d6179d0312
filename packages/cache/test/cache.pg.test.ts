import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { runConformanceSuite } from '@botdb/test-suite';
import { CachePlugin } from '@botdb/cache';
import { runConsistency } from './consistency.js';
import { runMaintained } from './maintained.js';
import { Databases, PG_URL, skipUnless } from './support.js';

describe('CachePlugin on PostgreSQL', function () {
  const dbs = new Databases('pg');
  before(function () {
    skipUnless(this, PG_URL, 'BOTDB_PG_URL');
  });
  after(() => dbs.cleanup());

  if (PG_URL !== undefined) runConformanceSuite('conformance with the cache (PostgreSQL)', () => dbs.create({ plugins: [new CachePlugin()] }));

  it('randomized consistency: zero stale reads through every write path', async function () {
    this.timeout(180_000);
    const db = await dbs.create({ plugins: [new CachePlugin()] });
    const { checks } = await runConsistency(db, 7, 200);
    expect(checks).to.be.at.least(1400);
  });

  it('randomized: every cached list and count equals the database after each commit', async function () {
    this.timeout(180_000);
    const db = await dbs.create({ plugins: [new CachePlugin()] });
    const { checks } = await runMaintained(db, { seed: 11, steps: 80 });
    expect(checks).to.be.at.least(80 * 20);
  });
});
