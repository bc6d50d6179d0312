/**
 * The property that keeps the two filter implementations equal: for random rows and random
 * filters, the rows the database selects (`filterToSql`, through `db.get`) are exactly the rows
 * `matchesFilter` accepts in memory. Shared by the SQLite and PostgreSQL test files.
 */
import { it } from 'mocha';
import { expect } from 'chai';
import fc from 'fast-check';
import {
  MaiZoneScheduleStatus,
  Messages,
  matchesFilter,
  normalizeFilter,
  parseNaive,
  resolveEntity,
  type Database,
  type EntityRef,
  type FilterInput,
  type Row,
} from '../../src/index.js';

/** Runs per property; the seed makes a failure reproducible. */
export const PROPERTY_RUNS = 300;
export const PROPERTY_SEED = 20_251_130;

// Small pools make rows collide with filter values, so equality and ranges get exercised.
// Text includes numeric-looking strings ('10' < '9' as text), case, accents, a BMP character
// above the surrogate range (U+FB01) and one outside the BMP, where UTF-16 and code-point
// order disagree.
const TEXTS = ['', 'a', 'A', 'b', 'ab', 'a b', '10', '9', '-1', 'é', 'ﬁ', '😀', '中'];
const FLOATS = [-1.5, 0, 0.5, 1, 2, 3.25, 10, 1e10];
const INTS = [-3, 0, 1, 2, 5, 100];

type Kind = 'text' | 'float' | 'integer' | 'boolean' | 'datetime';

const text = fc.constantFrom(...TEXTS);
const float = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FLOATS) }, { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }) });
const integer = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...INTS) }, { weight: 1, arbitrary: fc.integer({ min: -1000, max: 1000 }) });
const boolean = fc.boolean();

// DateTime rows hold millisecond precision (what a JS Date carries, so the row read back is
// exact); filter values may carry microseconds, as naive text or as a Date.
const ROW_TIMES = ['2024-01-01 00:00:00', '2024-01-01 00:00:00.001', '2024-01-01 00:00:00.999', '2023-12-31 23:59:59.999', '2024-06-30 12:30:00.5', '2025-10-01 08:00:00'];
const FILTER_TIMES = [...ROW_TIMES, '2024-01-01 00:00:00.000001', '2024-01-01 00:00:00.000999', '2024-01-01 00:00:00.001001', '2024-01-01T00:00:00.001', '2024-06-30T12:30:00.499999', '2030-01-01 00:00:00'];

function rowTime(db: Database): fc.Arbitrary<Date | string> {
  return fc.constantFrom(...ROW_TIMES).chain((t) => fc.constantFrom<Date | string>(t, parseNaive(t, db.config.timeZone) as Date));
}

function filterTime(db: Database): fc.Arbitrary<Date | string> {
  return fc.constantFrom(...FILTER_TIMES).chain((t) => {
    const asDate = parseNaive(t, db.config.timeZone);
    return asDate ? fc.constantFrom<Date | string>(t, asDate) : fc.constant(t);
  });
}

function valueOf(kind: Kind, db: Database, forFilter: boolean): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'text':
      return text;
    case 'float':
      return float;
    case 'integer':
      return integer;
    case 'boolean':
      return boolean;
    case 'datetime':
      return forFilter ? filterTime(db) : rowTime(db);
  }
}

interface ColumnSpec {
  readonly name: string;
  readonly kind: Kind;
  readonly nullable: boolean;
}

/** One condition on a column: a value, null, or an object of 1-3 operators. */
function conditionOf(col: ColumnSpec, db: Database): fc.Arbitrary<unknown> {
  const value = valueOf(col.kind, db, true);
  const ops = fc.uniqueArray(fc.constantFrom('$gt', '$gte', '$lt', '$lte', '$ne', '$in', '$nin'), { minLength: 1, maxLength: 3 }).chain((names) =>
    fc.tuple(
      ...names.map((op) => {
        if (op === '$in' || op === '$nin') return fc.array(fc.option(value, { nil: null, freq: 5 }), { maxLength: 4 }).map((v) => [op, v] as const);
        if (op === '$ne') return fc.option(value, { nil: null, freq: 5 }).map((v) => [op, v] as const);
        return value.map((v) => [op, v] as const);
      }),
    ).map((pairs) => Object.fromEntries(pairs)),
  );
  return fc.oneof({ weight: 2, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: ops });
}

function filterOf(columns: readonly ColumnSpec[], db: Database): fc.Arbitrary<FilterInput> {
  return fc
    .subarray([...columns], { minLength: 0, maxLength: 3 })
    .chain((cols) => fc.tuple(...cols.map((c) => conditionOf(c, db).map((cond) => [c.name, cond] as const))))
    .map((pairs) => Object.fromEntries(pairs));
}

function rowOf(columns: readonly ColumnSpec[], db: Database): fc.Arbitrary<Row> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const c of columns) {
    const v = valueOf(c.kind, db, false);
    fields[c.name] = c.nullable ? fc.option(v, { nil: null, freq: 4 }) : v;
  }
  return fc.record(fields);
}

interface Table {
  readonly entity: EntityRef;
  /** The column that scopes one property run to its own rows. */
  readonly scope: string;
  /** Columns filled at random and filtered on. */
  readonly columns: readonly ColumnSpec[];
  /** The rest of a valid row. */
  base(scope: string, i: number): Row;
}

const MESSAGES: Table = {
  entity: Messages,
  scope: 'chat_id',
  columns: [
    { name: 'chat_info_user_id', kind: 'text', nullable: false },
    { name: 'user_id', kind: 'text', nullable: true },
    { name: 'reply_to', kind: 'text', nullable: true },
    { name: 'time', kind: 'float', nullable: false },
    { name: 'interest_value', kind: 'float', nullable: true },
    { name: 'memorized_times', kind: 'integer', nullable: false },
    { name: 'is_emoji', kind: 'boolean', nullable: false },
    { name: 'is_mentioned', kind: 'boolean', nullable: true },
    { name: 'should_reply', kind: 'boolean', nullable: true },
  ],
  base: (chat, i) => ({
    message_id: `m${i}`,
    chat_id: chat,
    chat_info_stream_id: chat,
    chat_info_platform: 'qq',
    chat_info_user_platform: 'qq',
    chat_info_user_nickname: 'n',
    chat_info_create_time: 1,
    chat_info_last_active_time: 2,
  }),
};

const SCHEDULE_STATUS: Table = {
  entity: MaiZoneScheduleStatus,
  scope: 'activity',
  columns: [
    { name: 'processed_at', kind: 'datetime', nullable: true },
    { name: 'created_at', kind: 'datetime', nullable: false },
    { name: 'is_processed', kind: 'boolean', nullable: false },
    { name: 'story_content', kind: 'text', nullable: true },
  ],
  // datetime_hour is unique (VARCHAR(13)); the scope keeps it unique across runs.
  base: (scope, i) => ({ activity: scope, datetime_hour: `${scope.slice(-9)}-${i}` }),
};

/** Registers the agreement properties against the database `getDb()` returns (set up by the caller). */
export function filterAgreementTests(getDb: () => Database): void {
  let runCounter = 0;

  async function check(table: Table, numRuns: number): Promise<void> {
    const db = getDb();
    const def = resolveEntity(table.entity);
    const zone = db.config.timeZone;
    const prefix = Math.random().toString(36).slice(2, 8);
    await fc.assert(
      fc.asyncProperty(fc.array(rowOf(table.columns, db), { maxLength: 10 }), fc.array(filterOf(table.columns, db), { minLength: 1, maxLength: 6 }), async (rows, filters) => {
        runCounter += 1;
        const scope = `${prefix}${runCounter.toString(36)}`;
        await db.createMany(table.entity, rows.map((r, i) => ({ ...table.base(scope, i), ...r })));
        const stored = (await db.get(table.entity, { filters: { [table.scope]: scope } })) as Row[];
        expect(stored).to.have.length(rows.length);
        for (const filter of filters) {
          const scoped = { ...filter, [table.scope]: scope };
          const fromDb = ((await db.get(table.entity, { filters: scoped })) as Row[]).map((r) => r.id as number).sort((a, b) => a - b);
          const normalized = normalizeFilter(def, scoped);
          const inMemory = stored.filter((r) => matchesFilter(normalized, r, zone)).map((r) => r.id as number).sort((a, b) => a - b);
          expect(inMemory, `filter ${JSON.stringify(filter)}`).to.deep.equal(fromDb);
          expect(await db.count(table.entity, scoped), `count ${JSON.stringify(filter)}`).to.equal(fromDb.length);
        }
      }),
      { numRuns, seed: PROPERTY_SEED, endOnFailure: false },
    );
  }

  it('agrees with the database on text, float, integer, boolean and nullable columns (messages)', async function () {
    await check(MESSAGES, PROPERTY_RUNS);
  });

  it('agrees with the database on DateTime columns, with Date and naive-text filter values', async function () {
    await check(SCHEDULE_STATUS, Math.round(PROPERTY_RUNS / 2));
  });
}
