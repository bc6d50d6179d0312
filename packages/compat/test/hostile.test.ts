/**
 * Hostile input through compat: compat never throws (it logs and returns null or [] as the
 * Python module did), and a call that fails writes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'mocha';
import { expect } from 'chai';
import type { Database, Row } from '@botdb/core';
import { ChatStreams, db_get, db_query, db_save, initialize_sql_database, MODEL_MAPPING, setCompatLogger, stop_database } from '@botdb/compat';
import { compatHostileTests, resetTables, snapshot, stream } from './support/hostile.js';

describe('compat: hostile input (SQLite)', function () {
  const dir = mkdtempSync(join(tmpdir(), 'botdb-compat-hostile-'));
  const logged: string[] = [];
  let db: Database;
  before(async function () {
    await stop_database();
    db = (await initialize_sql_database({ database_type: 'sqlite', sqlite_path: join(dir, 'hostile.db') })) as Database;
    expect(db).to.not.equal(null);
  });
  after(async function () {
    await stop_database();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async function () {
    setCompatLogger({ error: (m) => void logged.push(`error: ${m}`), warn: (m) => void logged.push(`warn: ${m}`) });
    await resetTables(db);
    logged.splice(0);
  });

  // #8: key_value became a filter: { $gt: '' } selected another row, { $regex } (dropped) every row.
  it('db_save refuses a key_value that is not one value (logged, null) and writes nothing', async function () {
    const before = await snapshot(db);
    for (const key_value of [{ $gt: '' }, { $ne: 'zz' }, { $regex: '.*' }, { $in: ['a'] }, ['a'], {}]) {
      expect(await db_save(ChatStreams, { user_nickname: 'HACK' }, { key_field: 'stream_id', key_value }), JSON.stringify(key_value)).to.equal(null);
    }
    expect(logged.filter((l) => l.startsWith('error'))).to.have.length(6);
    expect(await snapshot(db)).to.deep.equal(before);
    expect(await db_save(ChatStreams, { user_nickname: 'ok' }, { key_field: 'stream_id', key_value: 'a' })).to.include({ stream_id: 'a', user_nickname: 'ok' });
  });

  // #9: createData copied a "__proto__" key into {}, which set the prototype: id 777 was inserted.
  it('a JSON "__proto__" key is an unknown field, never the row\'s prototype', async function () {
    const before = await snapshot(db);
    const data = JSON.parse(`{"__proto__": {"id": 777, "reply_count": 5}, ${JSON.stringify(stream('p')).slice(1)}`) as Row;
    expect(await db_query(ChatStreams, { query_type: 'create', data })).to.equal(null);
    expect(await db_save(ChatStreams, data)).to.equal(null);
    expect(await db_save(ChatStreams, data, { key_field: 'stream_id', key_value: 'p' })).to.equal(null);
    expect(await snapshot(db)).to.deep.equal(before);
    // In an update, unknown keys were always dropped with a warning (build_filters' rule).
    expect(await db_query(ChatStreams, { query_type: 'update', filters: { stream_id: 'a' }, data: JSON.parse('{"__proto__": {"id": 777}, "reply_count": 4}') as Row })).to.equal(1);
    expect(((await db_get(ChatStreams, { filters: { stream_id: 'a' }, single_result: true })) as Row).reply_count).to.equal(4);
    expect(await db_get(ChatStreams, { filters: { id: 777 } })).to.deep.equal([]);
  });

  // #10: MODEL_MAPPING and compat's lookups are keyed by callers' strings.
  it('operator and model names from Object.prototype find nothing', async function () {
    expect(MODEL_MAPPING['constructor']).to.equal(undefined);
    expect(MODEL_MAPPING['__proto__']).to.equal(undefined);
    expect(Object.keys(MODEL_MAPPING)).to.have.length(25);
    // Unknown operators are dropped with a warning, as build_filters did: every row.
    expect(await db_get(ChatStreams, { filters: JSON.parse('{"stream_id": {"__proto__": "x", "constructor": "y"}}') as Row })).to.have.length(3);
    expect(logged.filter((l) => l.startsWith('warn'))).to.have.length(2);
    expect(await db_query('constructor' as never, { query_type: 'count' })).to.equal(null);
  });

  // #11: db_query(M, null) threw a TypeError; compat promises never to throw.
  it('null or odd keyword arguments never throw: null is no arguments, anything else is logged', async function () {
    expect(await db_query(ChatStreams, null)).to.have.length(3);
    expect(await db_get(ChatStreams, null)).to.have.length(3);
    expect(await db_query(ChatStreams, 5 as never)).to.deep.equal([]);
    expect(await db_get(ChatStreams, 'x' as never)).to.deep.equal([]);
    expect(await db_save(ChatStreams, stream('n'), 5 as never)).to.equal(null);
    expect((await db_save(ChatStreams, stream('n'), null)) as Row).to.include({ stream_id: 'n' });
    expect(await db_query(ChatStreams, { query_type: 1n as never })).to.equal(null);
    // A limit beyond any table is no limit (core takes at most 2^31 - 1); a bigint one is ignored.
    expect(await db_get(ChatStreams, { limit: 2 ** 53 })).to.have.length(4);
    expect(await db_get(ChatStreams, { limit: 1n as never })).to.have.length(4);
    expect(logged.filter((l) => l.startsWith('error'))).to.have.length(4);
  });

  // #12: values core refuses are refused through compat too: logged, nothing written.
  it('values one database would store and the other refuse: logged, null, nothing written', async function () {
    const before = await snapshot(db);
    const bad: Row[] = [stream('nul\u0000'), stream('x\ud800'), stream('x'.repeat(65)), stream('i', { message_count: 2 ** 31 }), stream('i', { message_count: '99999999999' })];
    for (const data of bad) expect(await db_query(ChatStreams, { query_type: 'create', data }), JSON.stringify(data)).to.equal(null);
    expect(await db_save(ChatStreams, { user_nickname: 'a\u0000' }, { key_field: 'stream_id', key_value: 'a' })).to.equal(null);
    expect(await db_get(ChatStreams, { filters: { id: { $in: Array.from({ length: 40_000 }, (_, i) => i) } } })).to.deep.equal([]);
    expect(await db_query(ChatStreams, { query_type: 'update', filters: {}, data: { user_nickname: '\udc00' } })).to.equal(null);
    expect(logged.filter((l) => l.startsWith('error'))).to.have.length(bad.length + 3);
    expect(await snapshot(db)).to.deep.equal(before);
  });

  compatHostileTests('SQLite', () => db);
});
