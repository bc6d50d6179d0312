/**
 * Hostile input on PostgreSQL: the values SQLite would store and PostgreSQL refuses fail with
 * the same codes before any SQL, the query hook never sees values, and the hostile-call property
 * runs on SQLite and PostgreSQL side by side: every call has the same outcome on both.
 */
import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { BotDbError, ChatStreams, createDatabase, NapcatBanRecord, type Database, type Row } from '../src/index.js';
import { hostileCallTests, queryHookShapeTest } from './support/hostile-property.js';
import { PgSchemas, skipWithoutPg } from './support/pg.js';

function stream(id: string, extra: Row = {}): Row {
  return { stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n', ...extra };
}

describe('hostile input (PostgreSQL)', function () {
  const schemas = new PgSchemas();
  let db: Database | undefined;
  before(async function () {
    skipWithoutPg(this, 'hostile input on PostgreSQL');
    db = await schemas.open();
  });
  after(async function () {
    await db?.close();
    await schemas.dropAll();
  });

  it('values PostgreSQL would refuse in the database are refused with a code before any SQL', async function () {
    const d = db as Database;
    const statements: string[] = [];
    d.pipeline.hooks.query.tap('test', (e) => void statements.push(e.sql));
    const calls: [string, string, () => Promise<unknown>][] = [
      ['NUL', 'BOTDB_ERR_BAD_VALUE', () => d.create(ChatStreams, stream('nul\u0000'))],
      ['NUL in a filter', 'BOTDB_ERR_BAD_VALUE', () => d.count(ChatStreams, { user_nickname: 'a\u0000' })],
      ['lone surrogate', 'BOTDB_ERR_BAD_VALUE', () => d.create(ChatStreams, stream('x\ud800'))],
      ['VARCHAR(64) overflow', 'BOTDB_ERR_BAD_VALUE', () => d.create(ChatStreams, stream('x'.repeat(65)))],
      ['INTEGER overflow', 'BOTDB_ERR_BAD_VALUE', () => d.create(ChatStreams, stream('i', { message_count: 2 ** 31 }))],
      ['INTEGER overflow in a filter', 'BOTDB_ERR_BAD_VALUE', () => d.count(ChatStreams, { message_count: { $lt: 2 ** 40 } })],
      ['BIGINT overflow', 'BOTDB_ERR_BAD_VALUE', () => d.create(NapcatBanRecord, { group_id: 2n ** 63n as never, user_id: 1 })],
      ['$in beyond 30,000', 'BOTDB_ERR_BAD_QUERY', () => d.count(ChatStreams, { id: { $in: Array.from({ length: 70_000 }, (_, i) => i) } })],
      ['limit 2**53', 'BOTDB_ERR_BAD_QUERY', () => d.get(ChatStreams, { limit: 2 ** 53 })],
    ];
    for (const [what, code, call] of calls) {
      const e = await call().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e, what).to.be.instanceOf(BotDbError);
      expect(e, what).to.have.property('code', code);
    }
    expect(statements, 'no statement ran').to.deep.equal([]);
    expect(await d.count(ChatStreams, {})).to.equal(0);
  });

  queryHookShapeTest((config) => schemas.open(config));
});

describe('hostile input: SQLite and PostgreSQL agree', function () {
  const schemas = new PgSchemas();
  before(function () {
    skipWithoutPg(this, 'hostile input on PostgreSQL');
  });
  after(async function () {
    await schemas.dropAll();
  });
  hostileCallTests('SQLite and PostgreSQL', async () => [await createDatabase({ url: 'sqlite::memory:' }), await schemas.open()]);
});
