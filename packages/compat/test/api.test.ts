import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import { expect } from 'chai';
import {
  ChatStreams,
  db,
  db_get,
  db_query,
  db_save,
  fromPythonConfig,
  get_db_session,
  initialize_sql_database,
  MODEL_MAPPING,
  setCompatLogger,
  stop_database,
  store_action_info,
} from '@botdb/compat';

function stream(id: string): Record<string, unknown> {
  return { stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n' };
}

describe('compat: the Python module API', function () {
  const dir = mkdtempSync(join(tmpdir(), 'botdb-compat-'));
  const logged: string[] = [];
  before(async function () {
    setCompatLogger({ error: (m) => logged.push(`error: ${m}`), warn: (m) => logged.push(`warn: ${m}`) });
    expect(await initialize_sql_database({ database_type: 'sqlite', sqlite_path: join(dir, 'api.db') })).to.not.equal(null);
  });
  after(async function () {
    await stop_database();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => void logged.splice(0));

  it('get_db_session(fn): commits on return', async function () {
    await get_db_session(async (em) => {
      em.persist(em.create(ChatStreams, stream('cb-commit') as never));
    });
    expect(await db_get(ChatStreams, { filters: { stream_id: 'cb-commit' }, single_result: true })).to.not.equal(null);
  });

  it('get_db_session(fn): rolls back on throw, and rethrows', async function () {
    const err = await get_db_session(async (em) => {
      em.persist(em.create(ChatStreams, stream('cb-rollback') as never));
      await em.flush();
      throw new Error('boom');
    }).catch((e: Error) => e);
    expect(err).to.have.property('message', 'boom');
    expect(await db_get(ChatStreams, { filters: { stream_id: 'cb-rollback' }, single_result: true })).to.equal(null);
  });

  it('await using em = await get_db_session(): flushes on scope exit', async function () {
    {
      await using em = await get_db_session();
      em.persist(em.create(ChatStreams, stream('using') as never));
    }
    expect(await db_get(ChatStreams, { filters: { stream_id: 'using' }, single_result: true })).to.not.equal(null);
  });

  it('db.initialize() resolves true; MODEL_MAPPING has the 25 models', async function () {
    expect(await db.initialize()).to.equal(true);
    expect(Object.keys(MODEL_MAPPING)).to.have.length(25);
  });

  it('never throws: errors are logged and give [], null, or null', async function () {
    expect(await db_query(ChatStreams, { query_type: 'get', filters: { stream_id: { $gt: [1] } } })).to.deep.equal([]);
    expect(await db_query(ChatStreams, { query_type: 'get', filters: { stream_id: { $gt: [1] } }, single_result: true })).to.equal(null);
    expect(await db_query(ChatStreams, { query_type: 'create', data: { stream_id: 'x' } })).to.equal(null);
    expect(await db_query(ChatStreams, { query_type: 'upsert' })).to.equal(null);
    expect(await db_query('NoSuchModel' as never, { query_type: 'count' })).to.equal(null);
    expect(await db_save(ChatStreams, { bogus: 1 })).to.equal(null);
    expect(logged.filter((l) => l.startsWith('error'))).to.have.length.of.at.least(5);
  });

  it('update and delete return int counts; no filters means every row', async function () {
    await db_query(ChatStreams, { query_type: 'create', data: stream('d1') });
    await db_query(ChatStreams, { query_type: 'create', data: stream('d2') });
    expect(await db_query(ChatStreams, { query_type: 'update', filters: { stream_id: { $in: ['d1', 'd2'] } }, data: { message_count: 3 } })).to.equal(2);
    expect(await db_query(ChatStreams, { query_type: 'count', filters: { message_count: 3 } })).to.equal(2);
    const all = (await db_query(ChatStreams, { query_type: 'count' })) as number;
    expect(await db_query(ChatStreams, { query_type: 'delete' })).to.equal(all);
    expect(await db_query(ChatStreams, { query_type: 'count' })).to.equal(0);
  });

  it('coerces values as SQLite affinity did: numbers for text columns, numeric strings for numbers', async function () {
    await db_query(ChatStreams, { query_type: 'create', data: { ...stream('c1'), user_id: 12345 } });
    expect(((await db_get(ChatStreams, { filters: { user_id: 12345 }, single_result: true })) as Record<string, unknown>)?.user_id).to.equal('12345');
    expect(await db_query(ChatStreams, { query_type: 'count', filters: { message_count: '0' } })).to.be.at.least(1);
  });

  it('store_action_info: thinking id or a microsecond timestamp; upsert by action_id', async function () {
    const a = await store_action_info({ action_name: 'reply', action_data: { t: '你好' } });
    expect(a?.action_id).to.match(/^\d{16}$/);
    expect(a?.action_data).to.equal('{"t":"你好"}');
    const b = await store_action_info({ thinking_id: 'tid', chat_stream: { stream_id: 's', platform: 'qq' } });
    const c = await store_action_info({ thinking_id: 'tid', action_name: 'again' });
    expect(c?.id).to.equal(b?.id);
    expect(c?.chat_id).to.equal('');
  });
});

describe('compat: configuration', function () {
  it('maps the Python [database] keys', function () {
    expect(fromPythonConfig({ database_type: 'sqlite' })).to.deep.equal({ url: 'sqlite:data/MaiBot.db' });
    expect(fromPythonConfig({ database_type: 'postgresql', postgresql_host: 'h', postgresql_port: 5433, postgresql_database: 'bot', postgresql_user: 'u', postgresql_password: 'p@ss', postgresql_schema: 's' })).to.deep.equal({
      url: 'postgres://u:p%40ss@h:5433/bot',
      postgresql: { schema: 's', poolSize: 10 },
    });
    expect(() => fromPythonConfig({ database_type: 'mysql' })).to.throw(/not supported/);
  });

  it('initialize_sql_database returns null (logged) for a configuration it cannot open', async function () {
    await stop_database();
    const logged: string[] = [];
    setCompatLogger({ error: (m) => logged.push(m), warn: () => undefined });
    expect(await initialize_sql_database({ database_type: 'mysql' })).to.equal(null);
    expect(logged.join()).to.match(/initialize_sql_database/);
  });
});
