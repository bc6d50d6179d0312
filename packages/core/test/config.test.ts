import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { BotDbError, createDatabase, DEFAULTS, resolveConfig, type BotDbConfig } from '../src/index.js';
import { tempDir } from './support/sqlite.js';

function withoutFunctions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutFunctions);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v !== 'function').map(([k, v]) => [k, withoutFunctions(v)]));
  }
  return value;
}

function configError(input: unknown, env: NodeJS.ProcessEnv = {}): string | undefined {
  try {
    resolveConfig(input as BotDbConfig, env);
  } catch (e) {
    expect(e).to.be.instanceOf(BotDbError);
    return (e as BotDbError).code;
  }
  return undefined;
}

describe('config: defaults', function () {
  // A changed default must show up in review: update this snapshot on purpose, never casually.
  it('DEFAULTS snapshot', function () {
    expect(DEFAULTS).to.deep.equal({
      url: 'sqlite:data/bot.db',
      sqlite: { driver: 'better-sqlite3', busyTimeoutMs: 60_000, synchronous: 'NORMAL', journalMode: 'WAL' },
      postgresql: { poolSize: 10, schema: 'public', statementTimeoutMs: 30_000 },
      syncSchema: true,
      timeZone: 'local',
      debug: false,
    });
    expect(Object.isFrozen(DEFAULTS) && Object.isFrozen(DEFAULTS.sqlite) && Object.isFrozen(DEFAULTS.postgresql)).to.equal(true);
  });

  it('resolveConfig({}) snapshot, without functions', function () {
    const resolved = resolveConfig({}, {});
    expect(withoutFunctions(resolved)).to.deep.equal({
      dialect: 'sqlite',
      url: resolve('data/bot.db'),
      sqlite: { driver: 'better-sqlite3', busyTimeoutMs: 60_000, synchronous: 'NORMAL', journalMode: 'WAL' },
      postgresql: { poolSize: 10, schema: 'public', statementTimeoutMs: 30_000 },
      plugins: [],
      syncSchema: true,
      timeZone: 'local',
      debug: false,
    });
    expect(resolved.warn).to.be.a('function');
    expect(withoutFunctions(resolveConfig(undefined, {}))).to.deep.equal(withoutFunctions(resolved));
  });

  it('freezes the resolved config, deeply', function () {
    const resolved = resolveConfig({ plugins: [] }, {});
    for (const part of [resolved, resolved.sqlite, resolved.postgresql, resolved.plugins]) expect(Object.isFrozen(part)).to.equal(true);
  });

  it('applies defaults by === undefined, so false and 0 are kept', function () {
    const resolved = resolveConfig({ syncSchema: false, debug: false, sqlite: { busyTimeoutMs: 0 }, postgresql: { statementTimeoutMs: 0 } }, {});
    expect(resolved.syncSchema).to.equal(false);
    expect(resolved.sqlite.busyTimeoutMs).to.equal(0);
    expect(resolved.postgresql.statementTimeoutMs).to.equal(0);
    expect(resolved.sqlite.driver).to.equal('better-sqlite3');
  });

  it('keeps the given warn function and plugins', function () {
    const warn = () => {};
    const plugin = { name: 'p', apply: () => {} };
    const resolved = resolveConfig({ warn, plugins: [plugin] }, {});
    expect(resolved.warn).to.equal(warn);
    expect(resolved.plugins).to.deep.equal([plugin]);
  });
});

describe('config: url and BOTDB_URL', function () {
  it('reads BOTDB_URL when url is not given', function () {
    const resolved = resolveConfig({}, { BOTDB_URL: 'postgres://bot@db.example:5432/bot' });
    expect(resolved.dialect).to.equal('postgresql');
    expect(resolved.url).to.equal('postgres://bot@db.example:5432/bot');
    expect(resolveConfig({}, { BOTDB_URL: 'postgresql://bot@db/bot' }).dialect).to.equal('postgresql');
  });

  it('prefers an explicit url over BOTDB_URL', function () {
    const resolved = resolveConfig({ url: 'sqlite::memory:' }, { BOTDB_URL: 'postgres://bot@db/bot' });
    expect(resolved.dialect).to.equal('sqlite');
    expect(resolved.url).to.equal(':memory:');
  });

  it('ignores an empty BOTDB_URL', function () {
    expect(resolveConfig({}, { BOTDB_URL: '' }).url).to.equal(resolve('data/bot.db'));
  });

  it('resolves SQLite paths: relative against the working directory, absolute as given, sqlite:/// too', function () {
    const abs = join(tmpdir(), 'botdb', 'x.db');
    expect(resolveConfig({ url: 'sqlite:rel/x.db' }, {}).url).to.equal(resolve('rel/x.db'));
    expect(resolveConfig({ url: `sqlite:${abs}` }, {}).url).to.equal(abs);
    expect(resolveConfig({}, { BOTDB_URL: `sqlite://${abs}` }).url).to.equal(abs);
  });

  it('rejects a bad BOTDB_URL with BOTDB_ERR_CONFIG', function () {
    expect(configError({}, { BOTDB_URL: 'mysql://x' })).to.equal('BOTDB_ERR_CONFIG');
  });
});

describe('config: bad values fail with BOTDB_ERR_CONFIG', function () {
  const cases: [string, unknown][] = [
    ['config null', null],
    ['config a string', 'sqlite:x.db'],
    ['url empty', { url: '' }],
    ['url a number', { url: 5 }],
    ['url of another database', { url: 'mysql://root@localhost/bot' }],
    ['url sqlite: without a path', { url: 'sqlite:' }],
    ['sqlite.driver', { sqlite: { driver: 'node:sqlite' } }],
    ['sqlite.busyTimeoutMs negative', { sqlite: { busyTimeoutMs: -1 } }],
    ['sqlite.busyTimeoutMs fractional', { sqlite: { busyTimeoutMs: 1.5 } }],
    ['sqlite.busyTimeoutMs a string', { sqlite: { busyTimeoutMs: '1000' } }],
    ['sqlite.synchronous', { sqlite: { synchronous: 'normal' } }],
    ['sqlite.journalMode', { sqlite: { journalMode: 'OFF' } }],
    ['postgresql.poolSize 0', { postgresql: { poolSize: 0 } }],
    ['postgresql.schema not an identifier', { postgresql: { schema: 'bot-db' } }],
    ['postgresql.schema with a quote', { postgresql: { schema: 'a"b' } }],
    ['postgresql.statementTimeoutMs', { postgresql: { statementTimeoutMs: -5 } }],
    ['plugins not an array', { plugins: {} }],
    ['plugins with a class', { plugins: [class P {}] }],
    ['plugins with null', { plugins: [null] }],
    ['plugins without a name', { plugins: [{ apply: () => {} }] }],
    ['syncSchema a string', { syncSchema: 'yes' }],
    ['timeZone', { timeZone: 'Asia/Shanghai' }],
    ['debug 1', { debug: 1 }],
    ['warn not a function', { warn: 'console' }],
  ];
  for (const [what, input] of cases) {
    it(what, function () {
      expect(configError(input)).to.equal('BOTDB_ERR_CONFIG');
    });
  }

  it('makes createDatabase reject before touching anything', async function () {
    let err: unknown;
    try {
      await createDatabase({ url: 'sqlite:x.db', sqlite: { synchronous: 'fast' as never } });
    } catch (e) {
      err = e;
    }
    expect((err as BotDbError).code).to.equal('BOTDB_ERR_CONFIG');
    expect(existsSync(resolve('x.db'))).to.equal(false);
  });
});

describe('config: where the SQLite file goes', function () {
  const dir = tempDir();
  after(function () {
    dir.remove();
  });

  it('creates missing directories of a sqlite: path', async function () {
    const file = join(dir.path, 'sub', 'dir', 'bot.db');
    const db = await createDatabase({ url: `sqlite:${file}` });
    await db.close();
    expect(existsSync(file)).to.equal(true);
  });

  it('opens data/bot.db under the working directory with no configuration at all', async function () {
    const cwd = process.cwd();
    const saved = process.env.BOTDB_URL;
    const home = join(dir.path, 'home');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(home);
    delete process.env.BOTDB_URL;
    try {
      process.chdir(home);
      const db = await createDatabase();
      try {
        expect(db.config.url).to.equal(join(process.cwd(), 'data', 'bot.db'));
      } finally {
        await db.close();
      }
      expect(existsSync(join(home, 'data', 'bot.db'))).to.equal(true);
    } finally {
      process.chdir(cwd);
      if (saved !== undefined) process.env.BOTDB_URL = saved;
    }
  });
});
