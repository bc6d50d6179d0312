import { after, describe } from 'mocha';
import { createDatabase } from '../src/index.js';
// @botdb/test-suite is a workspace sibling that core does not depend on (it depends on core),
// so its entry point is imported by path.
import { runConformanceSuite } from '../../test-suite/src/index.js';
import { SQLITE_DRIVERS, tempDir } from './support/sqlite.js';

describe('conformance on SQLite', function () {
  const dir = tempDir();
  after(function () {
    dir.remove();
  });

  for (const driver of SQLITE_DRIVERS) {
    runConformanceSuite(`sqlite (${driver})`, () => createDatabase({ url: `sqlite:${dir.file(`${driver}.db`)}`, sqlite: { driver } }));
  }
  runConformanceSuite('sqlite, timeZone utc', () => createDatabase({ url: `sqlite:${dir.file('utc.db')}`, timeZone: 'utc' }));
  runConformanceSuite('sqlite in memory', () => createDatabase({ url: 'sqlite::memory:' }));
  runConformanceSuite('sqlite, journal_mode DELETE', () => createDatabase({ url: `sqlite:${dir.file('delete.db')}`, sqlite: { journalMode: 'DELETE' } }));
});
