import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { ChatStreams, createDatabase, type Database, type Pipeline } from '../src/index.js';
import { tempDir } from './support/sqlite.js';

describe('regressions', function () {
  const dir = tempDir();
  let db: Database;
  before(async function () {
    db = await createDatabase({ url: `sqlite:${dir.file('regressions.db')}` });
  });
  after(async function () {
    await db.close();
    dir.remove();
  });

  // save() validated the insert shape even when a row matched, so a partial update failed.
  it('save with partial data updates a matching row', async function () {
    await db.create(ChatStreams, { stream_id: 'partial', create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' });
    const row = await db.save(ChatStreams, { message_count: 9 }, { keyField: 'stream_id', keyValue: 'partial' });
    expect(row.message_count).to.equal(9);
    expect(await db.count(ChatStreams, { stream_id: 'partial' })).to.equal(1);
  });

  it('save with partial data and no matching row fails with a code and writes nothing', async function () {
    const err = await db.save(ChatStreams, { message_count: 9 }, { keyField: 'stream_id', keyValue: 'absent' }).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'BOTDB_ERR_BAD_VALUE');
    expect(await db.count(ChatStreams, { stream_id: 'absent' })).to.equal(0);
  });

  // query({ type: 'delete' }) without filters emptied the table, unlike db.delete.
  it('query delete or update without filters is refused; {} is every row', async function () {
    const before = await db.count(ChatStreams, {});
    for (const type of ['delete', 'update'] as const) {
      const err = await db.query(ChatStreams, { type, data: { message_count: 1 } }).catch((e: unknown) => e);
      expect(err, type).to.have.property('code', 'BOTDB_ERR_BAD_QUERY');
    }
    expect(await db.count(ChatStreams, {})).to.equal(before);
    expect(await db.query(ChatStreams, { type: 'delete', filters: {} })).to.equal(before);
  });
});

describe('db.stats()', function () {
  it('gathers what plugins expose, by plugin name', async function () {
    const plugin = {
      name: 'CountingPlugin',
      apply(pipeline: Pipeline) {
        pipeline.expose('CountingPlugin', { stats: () => ({ answer: 42 }) });
      },
    };
    const db = await createDatabase({ url: 'sqlite::memory:', plugins: [plugin] });
    expect(db.stats()).to.deep.equal({ CountingPlugin: { answer: 42 } });
    await db.close();
    const bare = await createDatabase({ url: 'sqlite::memory:' });
    expect(bare.stats()).to.deep.equal({});
    await bare.close();
  });
});

describe('afterWrite and failed hooks', function () {
  it('afterWrite reports direct writes (db) and writes a plugin took (plugin); failed reports rejected calls', async function () {
    const outcomes: string[] = [];
    const failures: { operation: string; entity?: string; code?: unknown }[] = [];
    const taker = {
      name: 'Taker',
      apply(pipeline: Pipeline) {
        pipeline.hooks.write.tapPromise('Taker', async (ctx) => (ctx.kind === 'delete' ? { count: 0 } : undefined));
      },
    };
    const db = await createDatabase({ url: 'sqlite::memory:', plugins: [taker] });
    db.pipeline.hooks.afterWrite.tap('t', (ctx, outcome) => void outcomes.push(`${ctx.kind}:${outcome.source}`));
    db.pipeline.hooks.failed.tap('t', (e) => void failures.push({ operation: e.operation, entity: e.entity, code: (e.error as { code?: unknown }).code }));
    await db.create(ChatStreams, { stream_id: 'h', create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' });
    await db.delete(ChatStreams, { stream_id: 'h' });
    await db.get(ChatStreams, { filters: { nope: 1 } }).catch(() => undefined);
    await db.create(ChatStreams, { stream_id: 'h', create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' }).catch(() => undefined);
    await db.count('NoSuchThing').catch(() => undefined);
    expect(outcomes).to.deep.equal(['create:db', 'delete:plugin']);
    expect(failures).to.deep.equal([
      { operation: 'get', entity: 'ChatStreams', code: 'BOTDB_ERR_UNKNOWN_FIELD' },
      { operation: 'create', entity: 'ChatStreams', code: 'BOTDB_ERR_CONSTRAINT' },
      { operation: 'count', entity: undefined, code: 'BOTDB_ERR_UNKNOWN_ENTITY' },
    ]);
    await db.close();
  });
});
