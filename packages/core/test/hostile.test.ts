/**
 * Hostile input: calls a careless or malicious caller can make (JSON with `__proto__` keys,
 * operator objects where a value belongs, wrong types, values one database stores and the
 * other refuses). Each call succeeds or fails with a BotDbError code before any SQL runs, and a
 * failed call writes nothing.
 */
import { after, before, beforeEach, describe, it } from 'mocha';
import { expect } from 'chai';
import { BotDbError, ChatStreams, createDatabase, MaiZoneScheduleStatus, MODELS, NapcatBanRecord, type BotDbPlugin, type Database, type Row } from '../src/index.js';
import { hostileCallTests, queryHookShapeTest } from './support/hostile-property.js';
import { tempDir } from './support/sqlite.js';

function stream(id: string, extra: Row = {}): Row {
  return { stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n', ...extra };
}

/** The error a call rejected with (it must reject). */
async function rejection(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  throw new Error('the call did not fail');
}

async function expectCode(call: () => Promise<unknown>, code: string, what?: string): Promise<void> {
  const e = await rejection(call);
  expect(e, what).to.be.instanceOf(BotDbError);
  expect(e, what).to.have.property('code', code);
}

async function snapshot(db: Database): Promise<unknown> {
  return {
    streams: await db.get(ChatStreams, { orderBy: 'id' }),
    status: await db.get(MaiZoneScheduleStatus, { orderBy: 'id' }),
    bans: await db.get(NapcatBanRecord, { orderBy: 'id' }),
  };
}

describe('hostile input (SQLite)', function () {
  const dir = tempDir();
  let db: Database;
  let statements: string[] = [];
  before(async function () {
    db = await createDatabase({ url: `sqlite:${dir.file('hostile.db')}` });
    db.pipeline.hooks.query.tap('test', (e) => void statements.push(e.sql));
  });
  after(async function () {
    await db.close();
    dir.remove();
  });
  beforeEach(async function () {
    await db.delete(ChatStreams, {});
    await db.create(ChatStreams, stream('a'));
    await db.create(ChatStreams, stream('b'));
    statements = [];
  });

  // #8: save's keyValue became a filter, so { $ne: 'zz' } selected (and overwrote) another row.
  it('save refuses a keyValue that is not a plain value of the key column, and overwrites nothing', async function () {
    const before = await snapshot(db);
    for (const keyValue of [{ $ne: 'zz' }, { $gt: '' }, { $in: ['a', 'b'] }, ['a'], {}, { $regex: '.*' }, 5]) {
      await expectCode(() => db.save(ChatStreams, { user_nickname: 'HACK' }, { keyField: 'stream_id', keyValue }), 'BOTDB_ERR_BAD_VALUE', JSON.stringify(keyValue));
    }
    expect(await snapshot(db)).to.deep.equal(before);
    // A plain value still saves.
    expect(await db.save(ChatStreams, { user_nickname: 'ok' }, { keyField: 'stream_id', keyValue: 'a' })).to.include({ stream_id: 'a', user_nickname: 'ok' });
  });

  // #9: properties inherited through the prototype were read as the row's.
  it('only own enumerable keys count: an inherited row is no row, a JSON "__proto__" key is an unknown column', async function () {
    const before = await snapshot(db);
    await expectCode(() => db.create(ChatStreams, Object.create(stream('c', { id: 777 })) as Row), 'BOTDB_ERR_BAD_VALUE');
    const parsed = JSON.parse(`{"__proto__": {"id": 777, "reply_count": 5}, ${JSON.stringify(stream('d')).slice(1)}`) as Row;
    await expectCode(() => db.create(ChatStreams, parsed), 'BOTDB_ERR_UNKNOWN_FIELD');
    await expectCode(() => db.update(ChatStreams, { stream_id: 'a' }, Object.create({ user_nickname: 'HACK' }) as Row), 'BOTDB_ERR_BAD_QUERY');
    const hidden = Object.defineProperty(stream('e'), 'reply_count', { value: 5, enumerable: false });
    expect(await db.create(ChatStreams, hidden)).to.include({ stream_id: 'e', reply_count: 0 });
    await db.delete(ChatStreams, { stream_id: 'e' });
    // A filter that is not a plain object would read as {} ("every row") to delete and update.
    for (const filters of [Object.create({ stream_id: 'a' }), new Map([['stream_id', 'a']]), new Date()]) {
      await expectCode(() => db.delete(ChatStreams, filters as never), 'BOTDB_ERR_BAD_QUERY');
    }
    await expectCode(() => db.get(ChatStreams, { filters: { stream_id: Object.create({ $ne: 'a' }) } }), 'BOTDB_ERR_BAD_VALUE');
    expect(await snapshot(db)).to.deep.equal(before);
  });

  // #10: operator names were looked up in an object literal, so "__proto__" found Object.prototype.
  it('operator names inherited from Object.prototype are unknown operators, refused before any SQL', async function () {
    for (const op of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const filters = JSON.parse(`{"stream_id": {${JSON.stringify(op)}: "x"}}`) as Row;
      await expectCode(() => db.get(ChatStreams, { filters }), 'BOTDB_ERR_UNKNOWN_OPERATOR', op);
      await expectCode(() => db.count(ChatStreams, filters), 'BOTDB_ERR_UNKNOWN_OPERATOR', op);
    }
    expect(statements).to.deep.equal([]);
  });

  // #11: plain RangeError/TypeError escaped the data API.
  it('malformed arguments fail with BOTDB_ERR_BAD_QUERY, never a plain JS error', async function () {
    const before = await snapshot(db);
    const calls: [string, () => Promise<unknown>][] = [
      ['limit 2**53', () => db.get(ChatStreams, { limit: 2 ** 53 })],
      ['limit 1e300', () => db.get(ChatStreams, { limit: 1e300 })],
      ['limit 2**31', () => db.get(ChatStreams, { limit: 2 ** 31 })],
      ['limit bigint', () => db.get(ChatStreams, { limit: 1n as never })],
      ['limit -1', () => db.get(ChatStreams, { limit: -1 })],
      ['limit 1.5', () => db.get(ChatStreams, { limit: 1.5 })],
      ['limit "5"', () => db.get(ChatStreams, { limit: '5' as never })],
      ['query type bigint', () => db.query(ChatStreams, { type: 1n as never })],
      ['query null', () => db.query(ChatStreams, null as never)],
      ['get null options', () => db.get(ChatStreams, null as never)],
      ['get number options', () => db.get(ChatStreams, 5 as never)],
      ['count 5', () => db.count(ChatStreams, 5 as never)],
      ['count null options', () => db.count(ChatStreams, {}, null as never)],
      ['save null data', () => db.save(ChatStreams, null as never)],
      ['save null options', () => db.save(ChatStreams, stream('x'), null as never)],
      ['save bigint keyField', () => db.save(ChatStreams, stream('x'), { keyField: 1n as never, keyValue: 'a' })],
      ['create null', () => db.create(ChatStreams, null as never)],
      ['createMany null', () => db.createMany(ChatStreams, null as never)],
      // eslint-disable-next-line no-sparse-arrays
      ['createMany sparse', () => db.createMany(ChatStreams, [stream('x'), , stream('y')] as never)],
      ['update null data', () => db.update(ChatStreams, {}, null as never)],
      ['update null options', () => db.update(ChatStreams, {}, { reply_count: 1 }, null as never)],
      ['delete null options', () => db.delete(ChatStreams, { stream_id: 'a' }, null as never)],
      ['orderBy bigint', () => db.get(ChatStreams, { orderBy: [1n] as never })],
      // eslint-disable-next-line no-sparse-arrays
      ['orderBy sparse', () => db.get(ChatStreams, { orderBy: [, 'id'] as never })],
    ];
    for (const [what, call] of calls) await expectCode(call, 'BOTDB_ERR_BAD_QUERY', what);
    expect(await snapshot(db)).to.deep.equal(before);
    expect(await db.get(ChatStreams, { limit: 2 ** 31 - 1 })).to.have.length(2);
  });

  it('transaction options must be an object; MODELS finds only models', async function () {
    await expectCode(() => db.transaction(async () => 1, null as never), 'BOTDB_ERR_BAD_QUERY');
    expect(MODELS['constructor' as keyof typeof MODELS]).to.equal(undefined);
    expect(MODELS.ChatStreams).to.not.equal(undefined);
  });

  it('a plugin may read past the largest limit a caller may ask for (a cache keeping slack rows)', async function () {
    const slack: BotDbPlugin = {
      name: 'Slack',
      apply(pipeline) {
        pipeline.hooks.read.tapPromise('Slack', async (ctx) => ({ value: await ctx.load(ctx.limit === undefined ? undefined : ctx.limit + 8), source: 'slack' }));
      },
    };
    const withPlugin = await createDatabase({ url: `sqlite:${dir.file('hostile.db')}`, plugins: [slack] });
    try {
      expect(await withPlugin.get(ChatStreams, { limit: 2 ** 31 - 1, orderBy: 'id' })).to.have.length(2);
      await expectCode(() => withPlugin.get(ChatStreams, { limit: 2 ** 31 }), 'BOTDB_ERR_BAD_QUERY');
    } finally {
      await withPlugin.close();
    }
  });

  describe('values one database stores and the other refuses are refused on both', function () {
    it('integers: INTEGER columns are 32-bit, BIGINT columns 64-bit, and integers only', async function () {
      await expectCode(() => db.create(ChatStreams, stream('i1', { message_count: 2 ** 31 })), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => db.create(ChatStreams, stream('i2', { message_count: -(2 ** 31) - 1 })), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => db.create(ChatStreams, stream('i3', { message_count: 1.5 })), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => db.count(ChatStreams, { message_count: { $gt: 2 ** 40 } }), 'BOTDB_ERR_BAD_VALUE');
      expect(await db.create(ChatStreams, stream('i4', { message_count: 2 ** 31 - 1, reply_count: -(2 ** 31) }))).to.include({ message_count: 2 ** 31 - 1, reply_count: -(2 ** 31) });
      await expectCode(() => db.create(NapcatBanRecord, { group_id: 2n ** 63n as never, user_id: 1 }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => db.create(NapcatBanRecord, { group_id: (-(2n ** 63n) - 1n) as never, user_id: 1 }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => db.count(NapcatBanRecord, { group_id: 2n ** 70n }), 'BOTDB_ERR_BAD_VALUE');
      const max = await db.create(NapcatBanRecord, { group_id: (2n ** 63n - 1n) as never, user_id: -(2n ** 63n) as never });
      expect(await db.count(NapcatBanRecord, { id: max.id })).to.equal(1);
      await db.delete(NapcatBanRecord, {});
    });

    it('increments whose result leaves the column type are refused before the UPDATE', async function () {
      await db.update(ChatStreams, { stream_id: 'a' }, { message_count: 2 ** 31 - 10 });
      await expectCode(() => db.update(ChatStreams, {}, { message_count: { $inc: 100 } }), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => db.update(ChatStreams, {}, { message_count: { $inc: 2 ** 31 } }), 'BOTDB_ERR_BAD_VALUE');
      await db.update(ChatStreams, { stream_id: 'a' }, { create_time: Number.MAX_VALUE });
      await expectCode(() => db.update(ChatStreams, {}, { create_time: { $inc: Number.MAX_VALUE } }), 'BOTDB_ERR_BAD_VALUE');
      expect((await db.get(ChatStreams, { filters: { stream_id: 'b' }, single: true }))?.message_count).to.equal(0);
      expect((await db.get(ChatStreams, { filters: { stream_id: 'a' }, single: true }))?.message_count).to.equal(2 ** 31 - 10);
      expect(await db.update(ChatStreams, {}, { message_count: { $inc: 9 } })).to.equal(2);
    });

    it('DateTime text must name a real calendar date and time (years 1 to 9999)', async function () {
      const base = { datetime_hour: 'h', activity: 'x' };
      for (const bad of ['2024-13-45 99:99:99', '2023-02-29 00:00:00', '2024-04-31 00:00:00', '0000-01-01 00:00:00', '2024-01-01 24:00:00', '2024-01-01 23:60:00', '2024-01-01 23:59:60', '2024-00-10 00:00:00']) {
        await expectCode(() => db.create(MaiZoneScheduleStatus, { ...base, processed_at: bad as never }), 'BOTDB_ERR_BAD_VALUE', bad);
        await expectCode(() => db.count(MaiZoneScheduleStatus, { processed_at: { $lt: bad } }), 'BOTDB_ERR_BAD_VALUE', bad);
      }
      for (const bad of [new Date(Date.UTC(10000, 0, 1)), new Date('0000-06-01T00:00:00Z'), new Date(Number.NaN)]) {
        await expectCode(() => db.create(MaiZoneScheduleStatus, { ...base, processed_at: bad as never }), 'BOTDB_ERR_BAD_VALUE', String(bad));
      }
      expect(await db.count(MaiZoneScheduleStatus, {})).to.equal(0);
      const row = await db.create(MaiZoneScheduleStatus, { ...base, processed_at: "2024-02-29 23:59:59.999999" as never });
      expect(await db.count(MaiZoneScheduleStatus, { processed_at: '2024-02-29 23:59:59.999999' })).to.equal(1);
      await db.delete(MaiZoneScheduleStatus, { id: row.id });
    });

    it('text with NUL or a lone surrogate is refused in data and filters; pairs and long TEXT are fine', async function () {
      for (const bad of ['nul\u0000', '\ud800', 'a\udc00b', '\ud83d']) {
        await expectCode(() => db.create(ChatStreams, stream(bad)), 'BOTDB_ERR_BAD_VALUE', JSON.stringify(bad));
        await expectCode(() => db.update(ChatStreams, { stream_id: 'a' }, { user_nickname: bad }), 'BOTDB_ERR_BAD_VALUE', JSON.stringify(bad));
        await expectCode(() => db.get(ChatStreams, { filters: { user_nickname: { $in: ['n', bad] } } }), 'BOTDB_ERR_BAD_VALUE', JSON.stringify(bad));
      }
      expect(await db.create(ChatStreams, stream('😀', { user_nickname: '😀'.repeat(10_000) }))).to.include({ stream_id: '😀' });
      expect(await db.count(ChatStreams, { stream_id: '😀' })).to.equal(1);
    });

    it('text longer than a VARCHAR(n) column (in characters) is refused in data, not in filters', async function () {
      await expectCode(() => db.create(ChatStreams, stream('x'.repeat(65))), 'BOTDB_ERR_BAD_VALUE');
      await expectCode(() => db.update(ChatStreams, { stream_id: 'a' }, { user_id: 'u'.repeat(101) }), 'BOTDB_ERR_BAD_VALUE');
      // 64 characters outside the BMP are 128 UTF-16 units: still 64 characters.
      expect(await db.create(ChatStreams, stream('😀'.repeat(64)))).to.include({ stream_id: '😀'.repeat(64) });
      expect(await db.count(ChatStreams, { stream_id: 'x'.repeat(65) })).to.equal(0);
    });

    it('$in/$nin lists of one filter hold at most 30,000 values together', async function () {
      const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
      expect(await db.count(ChatStreams, { id: { $in: ids(30_000) } })).to.equal(2);
      await expectCode(() => db.count(ChatStreams, { id: { $in: ids(30_001) } }), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => db.get(ChatStreams, { filters: { id: { $in: ids(15_000) }, message_count: { $nin: ids(15_001) } } }), 'BOTDB_ERR_BAD_QUERY');
      await expectCode(() => db.delete(ChatStreams, { id: { $nin: ids(40_000, 100) } }), 'BOTDB_ERR_BAD_QUERY');
      expect(await db.count(ChatStreams, {})).to.equal(2);
    });
  });

  queryHookShapeTest((config) => createDatabase({ ...config, url: `sqlite:${dir.file('debug.db')}` }));
});

hostileCallTests('SQLite', async () => [await createDatabase({ url: 'sqlite::memory:' })]);
