import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import fc from 'fast-check';
import {
  BotDbError,
  compareCodePoints,
  createDatabase,
  filterToSql,
  Messages,
  normalizeFilter,
  normalizeOrderBy,
  resolveEntity,
  type Database,
  type FilterInput,
} from '../src/index.js';
import { filterAgreementTests } from './support/filter-property.js';
import { SQLITE_DRIVERS, tempDir } from './support/sqlite.js';

const messages = resolveEntity(Messages);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(BotDbError);
    return (e as BotDbError).code;
  }
  return undefined;
}

describe('filters: normalizeFilter', function () {
  const norm = (input: unknown) => () => normalizeFilter(messages, input as FilterInput);

  it('returns no conditions for undefined, null and {}', function () {
    expect(normalizeFilter(messages, undefined)).to.deep.equal([]);
    expect(normalizeFilter(messages, null)).to.deep.equal([]);
    expect(normalizeFilter(messages, {})).to.deep.equal([]);
  });

  it('normalises values, null, $ne null and several operators; $in lists are frozen copies', function () {
    const f = normalizeFilter(messages, { chat_id: 'c', reply_to: null, user_id: { $ne: null }, time: { $gt: 1, $lte: 5 }, is_emoji: { $in: [true] } });
    expect(f.map((c) => [c.column.name, c.op, c.value])).to.deep.equal([
      ['chat_id', 'eq', 'c'],
      ['reply_to', 'isnull', null],
      ['user_id', 'notnull', null],
      ['time', 'gt', 1],
      ['time', 'lte', 5],
      ['is_emoji', 'in', [true]],
    ]);
    expect(Object.isFrozen(f[5]?.value)).to.equal(true);
  });

  it('copies $in lists, so a caller mutating its array does not change the filter', function () {
    const list = ['a'];
    const f = normalizeFilter(messages, { user_id: { $in: list } });
    list.push('b');
    expect(f[0]?.value).to.deep.equal(['a']);
  });

  it('rejects unknown fields with BOTDB_ERR_UNKNOWN_FIELD', function () {
    expect(codeOf(norm({ nope: 1 }))).to.equal('BOTDB_ERR_UNKNOWN_FIELD');
    expect(codeOf(norm({ chat_id: 'x', ChatId: 'x' }))).to.equal('BOTDB_ERR_UNKNOWN_FIELD');
  });

  it('rejects unknown operators with BOTDB_ERR_UNKNOWN_OPERATOR', function () {
    for (const op of ['$eq', '$like', '$regex', 'gt', '$GT', '$exists']) {
      expect(codeOf(norm({ time: { [op]: 1 } })), op).to.equal('BOTDB_ERR_UNKNOWN_OPERATOR');
    }
  });

  it('rejects values of the wrong type with BOTDB_ERR_BAD_VALUE', function () {
    const bad: FilterInput[] = [
      { time: '1' },
      { time: Number.POSITIVE_INFINITY },
      { memorized_times: 1.5 },
      { memorized_times: 2 ** 53 },
      { user_id: 1 },
      { is_emoji: 0 },
      { is_emoji: 'true' },
      { user_id: ['a'] },
      { user_id: undefined },
      { user_id: { $in: 'a' } },
      { user_id: { $nin: null } },
      { user_id: { $in: [1] } },
      { time: { $gt: null } },
      { time: { $lte: '3' } },
      { time: { $ne: undefined } },
    ];
    for (const f of bad) expect(codeOf(norm(f)), JSON.stringify(f)).to.equal('BOTDB_ERR_BAD_VALUE');
  });

  it('rejects filters that are not an object, and empty operator objects, with BOTDB_ERR_BAD_QUERY', function () {
    for (const f of [[], 'chat_id = 1', 5, true]) expect(codeOf(norm(f)), JSON.stringify(f)).to.equal('BOTDB_ERR_BAD_QUERY');
    expect(codeOf(norm({ time: {} }))).to.equal('BOTDB_ERR_BAD_QUERY');
  });

  it('rejects unknown orderBy columns and malformed terms', function () {
    expect(codeOf(() => normalizeOrderBy(messages, '-nope'))).to.equal('BOTDB_ERR_UNKNOWN_FIELD');
    expect(codeOf(() => normalizeOrderBy(messages, ['time', ''] as string[]))).to.equal('BOTDB_ERR_BAD_QUERY');
    expect(codeOf(() => normalizeOrderBy(messages, { time: 1 } as never))).to.equal('BOTDB_ERR_BAD_QUERY');
    expect(normalizeOrderBy(messages, ['-time', 'id']).map((t) => [t.column.name, t.desc])).to.deep.equal([
      ['time', true],
      ['id', false],
    ]);
  });

  it('ends a non-empty order with the primary key, in the last term\'s direction', function () {
    const terms = (o: string | string[]) => normalizeOrderBy(messages, o).map((t) => `${t.desc ? '-' : ''}${t.column.name}`);
    expect(terms('-time')).to.deep.equal(['-time', '-id']);
    expect(terms(['chat_id', 'time'])).to.deep.equal(['chat_id', 'time', 'id']);
    expect(terms(['-id', 'time'])).to.deep.equal(['-id', 'time']);
    expect(normalizeOrderBy(messages, [])).to.have.length(0);
  });
});

describe('filters: filterToSql', function () {
  const sql = (f: FilterInput, dialect: 'sqlite' | 'postgresql' = 'sqlite') => filterToSql(normalizeFilter(messages, f), { dialect, zone: 'utc' });

  it('binds every value as a parameter and never inlines it', function () {
    const out = sql({ user_id: "x' OR 1=1 --", time: { $in: [1, 2] }, is_emoji: true });
    expect(out.sql).to.equal('"user_id" = ? AND "time" IN (?, ?) AND "is_emoji" = ?');
    expect(out.params).to.deep.equal(["x' OR 1=1 --", 1, 2, 1]);
    expect(sql({ is_emoji: true }, 'postgresql').params).to.deep.equal([true]);
  });

  it('writes the constant conditions of empty filters and empty lists', function () {
    expect(sql({})).to.deep.equal({ sql: '1 = 1', params: [] });
    expect(sql({ user_id: { $in: [] } }).sql).to.equal('1 = 0');
    expect(sql({ user_id: { $nin: [] } }).sql).to.equal('1 = 1');
  });

  it('compares text ranges by code point on PostgreSQL', function () {
    expect(sql({ user_id: { $gt: 'a' } }, 'postgresql').sql).to.equal('"user_id" COLLATE "C" > ?');
    expect(sql({ user_id: 'a' }, 'postgresql').sql).to.equal('"user_id" = ?');
    expect(sql({ user_id: { $gt: 'a' } }, 'sqlite').sql).to.equal('"user_id" > ?');
  });
});

describe('filters: compareCodePoints', function () {
  it('orders a character outside the BMP after every BMP character', function () {
    // U+1F600 is the surrogate pair D83D DE00; U+FB01 is one unit above the surrogates.
    expect('😀' < 'ﬁ').to.equal(true); // UTF-16 order, which is not what databases use
    expect(compareCodePoints('😀', 'ﬁ')).to.be.greaterThan(0);
    expect(compareCodePoints('ﬁ', '😀')).to.be.lessThan(0);
    expect(compareCodePoints('\uffff', '𐀀')).to.be.lessThan(0);
    expect(compareCodePoints('a😀', 'a\ue000')).to.be.greaterThan(0);
  });

  it('orders two surrogate pairs by code point', function () {
    expect(compareCodePoints('𝄞', '😀')).to.be.lessThan(0); // U+1D11E < U+1F600
    expect(compareCodePoints('😀', '😁')).to.be.lessThan(0);
    expect(compareCodePoints('😀', '😀')).to.equal(0);
  });

  it('orders a prefix first', function () {
    expect(compareCodePoints('😀', '😀a')).to.be.lessThan(0);
    expect(compareCodePoints('', 'a')).to.be.lessThan(0);
  });

  it('agrees with UTF-8 byte order (SQLite BINARY, PostgreSQL "C") for all strings', function () {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).to.equal(Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});

for (const driver of SQLITE_DRIVERS) {
  describe(`filters: SQL and in-memory evaluation agree (SQLite, ${driver})`, function () {
    const dir = tempDir();
    let db: Database | undefined;
    before(async function () {
      db = await createDatabase({ url: `sqlite:${dir.file('filters.db')}`, sqlite: { driver } });
    });
    after(async function () {
      await db?.close();
      dir.remove();
    });
    filterAgreementTests(() => db as Database);
  });
}
