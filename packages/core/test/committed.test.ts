import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { BotDbError, ChatStreams, createDatabase, Stage, type BotDbPlugin, type Database, type Pipeline, type ReadResult } from '../src/index.js';
import { committedTests, stream } from './support/committed.js';
import { RecorderPlugin } from './support/recorder.js';
import { SQLITE_DRIVERS, tempDir } from './support/sqlite.js';

for (const driver of SQLITE_DRIVERS) {
  describe(`committed: every write path, exactly once, after commit (SQLite, ${driver})`, function () {
    const dir = tempDir();
    const recorder = new RecorderPlugin();
    let db: Database | undefined;
    before(async function () {
      db = await createDatabase({ url: `sqlite:${dir.file('committed.db')}`, sqlite: { driver }, plugins: [recorder] });
    });
    after(async function () {
      await db?.close();
      dir.remove();
    });
    committedTests(() => ({ db: db as Database, recorder }));
  });
}

/** A plugin made of one `apply` function, for tests. */
function plugin(name: string, apply: (pipeline: Pipeline) => void, requires?: string[]): BotDbPlugin {
  return { name, requires, apply };
}

async function rejection(p: Promise<unknown>): Promise<BotDbError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(BotDbError);
    return e as BotDbError;
  }
  throw new Error('expected a rejection');
}

describe('plugins and the pipeline', function () {
  const dir = tempDir();
  let n = 0;
  const open = (plugins: BotDbPlugin[]) => createDatabase({ url: `sqlite:${dir.file(`plugins-${++n}.db`)}`, plugins });
  after(function () {
    dir.remove();
  });

  it('rejects a plugin whose required plugin is missing (BOTDB_ERR_MISSING_PLUGIN)', async function () {
    const err = await rejection(open([plugin('needy', () => {}, ['cache'])]));
    expect(err.code).to.equal('BOTDB_ERR_MISSING_PLUGIN');
  });

  it('accepts a required plugin listed after the plugin that needs it', async function () {
    const db = await open([plugin('needy', () => {}, ['cache']), plugin('cache', () => {})]);
    await db.close();
  });

  it('rejects the same plugin twice (BOTDB_ERR_DUPLICATE_PLUGIN)', async function () {
    const err = await rejection(open([plugin('twice', () => {}), plugin('twice', () => {})]));
    expect(err.code).to.equal('BOTDB_ERR_DUPLICATE_PLUGIN');
  });

  it('reports an error thrown in a tap as BOTDB_ERR_PLUGIN, with the original as cause', async function () {
    const boom = new Error('tap failed');
    const db = await open([plugin('broken', (p) => p.hooks.read.tapPromise('broken', async () => Promise.reject(boom)))]);
    try {
      const err = await rejection(db.get(ChatStreams, {}));
      expect(err.code).to.equal('BOTDB_ERR_PLUGIN');
      expect(err.cause).to.equal(boom);
    } finally {
      await db.close();
    }
  });

  it('reports a synchronous throw in a tap as BOTDB_ERR_PLUGIN', async function () {
    const db = await open([plugin('sync', (p) => p.hooks.afterRead.tap('sync', () => { throw new TypeError('sync'); }))]);
    try {
      expect((await rejection(db.count(ChatStreams))).code).to.equal('BOTDB_ERR_PLUGIN');
    } finally {
      await db.close();
    }
  });

  it('keeps the code of a BotDbError a tap rethrows', async function () {
    const db = await open([plugin('coded', (p) => p.hooks.read.tapPromise('coded', async () => { throw BotDbError.badQuery('no'); }))]);
    try {
      expect((await rejection(db.get(ChatStreams, {}))).code).to.equal('BOTDB_ERR_BAD_QUERY');
    } finally {
      await db.close();
    }
  });

  it('fails createDatabase when an init tap throws, and closes the connection', async function () {
    const err = await rejection(open([plugin('bad-init', (p) => p.hooks.init.tapPromise('bad-init', async () => { throw new Error('init'); }))]));
    expect(err.code).to.equal('BOTDB_ERR_PLUGIN');
  });

  it('runs taps in stage order, lowest first, whatever the registration order', async function () {
    const order: string[] = [];
    const tapAt = (name: string, stage: number) => plugin(name, (p) => p.hooks.read.tapPromise({ name, stage }, async () => { order.push(name); return undefined; }));
    const db = await open([tapAt('route', Stage.ROUTE), tapAt('default', Stage.DEFAULT), tapAt('cache', Stage.CACHE), tapAt('barrier', Stage.BATCH_BARRIER)]);
    try {
      await db.get(ChatStreams, {});
      expect(order).to.deep.equal(['barrier', 'cache', 'default', 'route']);
    } finally {
      await db.close();
    }
  });

  it('answers a read from a read tap that returns a result, with 0 SQL statements and later taps skipped', async function () {
    const fixed = [{ id: -1, stream_id: 'from-the-tap' }];
    let later = 0;
    let statements = 0;
    const answered: string[] = [];
    const db = await open([
      plugin('answer', (p) => {
        p.hooks.read.tapPromise({ name: 'answer', stage: Stage.CACHE }, async (ctx): Promise<ReadResult | undefined> => (ctx.options.cache === false ? undefined : { value: ctx.kind === 'count' ? 42 : fixed, source: 'test' }));
        p.hooks.read.tapPromise({ name: 'answer-later', stage: Stage.ROUTE }, async () => { later += 1; return undefined; });
        p.hooks.afterRead.tap('answer', (_ctx, result) => { answered.push(result.source); });
        p.hooks.query.tap('answer', () => { statements += 1; });
      }),
    ]);
    try {
      expect(await db.get(ChatStreams, { filters: { stream_id: 'x' } })).to.equal(fixed);
      expect(await db.get(ChatStreams, { single: true })).to.equal(fixed[0]);
      expect(await db.count(ChatStreams)).to.equal(42);
      expect(statements).to.equal(0);
      expect(later).to.equal(0);
      // The same read the tap declines goes to the database, and is counted: the counter works.
      expect(await db.get(ChatStreams, { filters: { stream_id: 'x' }, cache: false })).to.deep.equal([]);
      expect(statements).to.be.at.least(1);
      expect(later).to.equal(1);
      expect(answered).to.deep.equal(['test', 'test', 'test', 'db']);
    } finally {
      await db.close();
    }
  });

  it('keeps reads inside a session away from read taps (they see the session’s own writes)', async function () {
    let taps = 0;
    const db = await open([plugin('answer', (p) => p.hooks.read.tapPromise('answer', async () => { taps += 1; return { value: [], source: 'test' }; }))]);
    try {
      const data = stream();
      const seen = await db.session(async () => {
        await db.create(ChatStreams, data);
        return db.get(ChatStreams, { filters: { stream_id: data.stream_id } });
      });
      expect(seen).to.have.length(1);
      expect(taps).to.equal(0);
    } finally {
      await db.close();
    }
  });

  it('lets a write tap take a write over', async function () {
    const db = await open([plugin('taker', (p) => p.hooks.write.tapPromise('taker', async (ctx) => (ctx.kind === 'update' ? { count: 7 } : undefined)))]);
    try {
      const row = await db.create(ChatStreams, stream());
      expect(await db.update(ChatStreams, { id: row.id }, { user_nickname: 'never' })).to.equal(7);
      expect((await db.get(ChatStreams, { filters: { id: row.id }, single: true }))?.user_nickname).to.equal('nick');
    } finally {
      await db.close();
    }
  });

  it('runs init once at start and close once on close, in stage order', async function () {
    const events: string[] = [];
    const db = await open([
      plugin('a', (p) => {
        p.hooks.init.tapPromise({ name: 'a', stage: Stage.ROUTE }, async () => { events.push('init:a'); });
        p.hooks.close.tapPromise({ name: 'a', stage: Stage.ROUTE }, async () => { events.push('close:a'); });
      }),
      plugin('b', (p) => {
        p.hooks.init.tapPromise({ name: 'b', stage: Stage.BATCH_BARRIER }, async () => { events.push('init:b'); });
        p.hooks.close.tapPromise({ name: 'b', stage: Stage.BATCH_BARRIER }, async () => { events.push('close:b'); });
      }),
    ]);
    expect(events).to.deep.equal(['init:b', 'init:a']);
    await db.close();
    await db.close();
    expect(events).to.deep.equal(['init:b', 'init:a', 'close:b', 'close:a']);
    expect((await rejection(db.get(ChatStreams, {}))).code).to.equal('BOTDB_ERR_CLOSED');
  });
});
