/**
 * The hostile-input property, shared by the SQLite and PostgreSQL test files: every data API
 * call given hostile arguments (prototype keys, operator objects in odd places, wrong types,
 * bigints, huge numbers, NUL, lone surrogates, odd objects, null/undefined) either succeeds or
 * fails with a BotDbError code the caller can act on, and a failed call changes nothing. Given
 * two databases (SQLite and PostgreSQL), every call runs on both from the same state and must
 * have the same outcome: the same result, or the same error code.
 *
 * `BOTDB_FUZZ_RUNS` sets the number of calls (default 200; the long run uses 10000),
 * `BOTDB_FUZZ_SEED` the seed (a fixed one by default, so a failure reproduces).
 */
import { it } from 'mocha';
import { expect } from 'chai';
import fc from 'fast-check';
import {
  BotDbError,
  ChatStreams,
  MaiZoneScheduleStatus,
  NapcatBanRecord,
  resolveEntity,
  type BotDbConfig,
  type ColumnKind,
  type Database,
  type EntityDef,
  type EntityRef,
  type Row,
} from '../../src/index.js';

export const FUZZ_RUNS = Number(process.env.BOTDB_FUZZ_RUNS ?? 200);
export const FUZZ_SEED = Number(process.env.BOTDB_FUZZ_SEED ?? 20_261_204);

/** Codes a hostile call may fail with. BOTDB_ERR_QUERY would mean the database refused what validation let through. */
const EXPECTED_CODES = new Set(['BOTDB_ERR_UNKNOWN_ENTITY', 'BOTDB_ERR_UNKNOWN_FIELD', 'BOTDB_ERR_UNKNOWN_OPERATOR', 'BOTDB_ERR_BAD_VALUE', 'BOTDB_ERR_BAD_QUERY', 'BOTDB_ERR_CONSTRAINT']);

const ENTITIES = [ChatStreams, MaiZoneScheduleStatus, NapcatBanRecord] as const;

function stream(id: string, extra: Row = {}): Row {
  return { stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n', ...extra };
}

/** The rows every call starts from, with explicit keys and times, so both databases hold the same. */
const SEED_ROWS: ReadonlyMap<EntityRef, readonly Row[]> = new Map<EntityRef, readonly Row[]>([
  [ChatStreams, [stream('a', { id: 1 }), stream('b', { id: 2, group_id: 'g', message_count: 5, user_nickname: '😀', energy_value: 2.5 }), stream('c', { id: 3, message_count: null, user_id: 'v' })]],
  [
    MaiZoneScheduleStatus,
    [
      { id: 1, datetime_hour: '2024-01-01 00', activity: 'x', processed_at: '2024-01-01 10:00:00', created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00' },
      { id: 2, datetime_hour: '2024-01-01 01', activity: 'y', is_processed: true, created_at: '2024-01-02 00:00:00', updated_at: '2024-01-02 00:00:00' },
    ],
  ],
  [NapcatBanRecord, [{ id: 1, group_id: 1, user_id: 2, lift_time: null }, { id: 2, group_id: 1_234_567_890_123, user_id: 5, lift_time: 10 }]],
]);

/** A complete row to create, for data the generator then overrides. */
const BASE_ROWS: ReadonlyMap<EntityRef, Row> = new Map<EntityRef, Row>([
  [ChatStreams, stream('new')],
  [MaiZoneScheduleStatus, { datetime_hour: '2024-02-01 00', activity: 'z', created_at: '2024-01-03 00:00:00', updated_at: '2024-01-03 00:00:00' }],
  [NapcatBanRecord, { group_id: 7, user_id: 8 }],
]);

/** Puts a database back to the seed rows; on PostgreSQL also the key sequences, to where SQLite's next rowid is. */
export async function resetTables(db: Database): Promise<void> {
  for (const entity of ENTITIES) {
    await db.delete(entity, {});
    await db.createMany(entity, [...(SEED_ROWS.get(entity) ?? [])]);
    if (db.config.dialect === 'postgresql') {
      const table = `"${db.config.postgresql.schema}"."${resolveEntity(entity).table.table}"`;
      await db.orm.em.getConnection().execute(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
    }
  }
}

async function snapshot(db: Database): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const entity of ENTITIES) out.push(comparable(resolveEntity(entity), await db.get(entity, { orderBy: 'id' })));
  return out;
}

/** Values one call returns, in a form both databases must agree on. */
function comparable(def: EntityDef | undefined, value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.getTime();
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (Array.isArray(value)) return value.map((v) => comparable(def, v));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const col = def?.columns.get(k);
      // Times the database filled in at the moment of the call differ between two calls.
      out[k] = col && (col.onUpdate !== undefined || (col.default !== undefined && 'fn' in col.default)) && v instanceof Date ? 'a Date' : comparable(def, v);
    }
    return out;
  }
  return value;
}

// ---- generators ------------------------------------------------------------------------------

const SCALARS: readonly unknown[] = [
  '', 'a', 'b', 'c', 'g', 'u', 'qq', '😀', '中', 'x'.repeat(13), 'x'.repeat(14), 'x'.repeat(65), 'u'.repeat(101), 'nul\u0000', '\u0000', '\ud800', 'a\udc00b', '__proto__', 'constructor',
  '2024-01-01 10:00:00', '2024-01-01T10:00:00.5', '2024-01-01 00', '2024-13-45 99:99:99', '2023-02-29 00:00:00', '0000-01-01 00:00:00', '2024-01-01 24:00:00', '5', ' 7 ', '1e400', '-0',
  0, 1, 2, 3, 5, 7, 8, 10, -1, 1.5, -0, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e300, -1e300, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_VALUE, Number.MIN_VALUE,
  0n, 1n, 5n, 2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n), -(2n ** 63n) - 1n, 2n ** 80n,
  true, false, null, undefined,
  new Date(Date.UTC(2024, 0, 1, 10)), new Date(Number.NaN), new Date(Date.UTC(10_000, 0, 1)), new Date('0000-06-01T00:00:00Z'),
  Symbol('s'),
];

/** Odd objects, made fresh per use (a call must not be able to change the next call's input). */
const ODD: readonly (() => unknown)[] = [
  () => ({}),
  () => JSON.parse('{"__proto__": {"id": 777, "stream_id": "p", "$ne": "a"}}') as unknown,
  () => JSON.parse('{"constructor": {"prototype": {"polluted": 1}}}') as unknown,
  () => Object.create({ $ne: 'a', stream_id: 'a' }) as unknown,
  () => new Map([['stream_id', 'a']]),
  () => new Set(['a']),
  () => [],
  () => ['a', 'b'],
  // eslint-disable-next-line no-sparse-arrays
  () => [, 'a'],
  () => ({ a: { b: { c: { d: { e: {} } } } } }),
  () => Object.create(null) as unknown,
  () => new String('a'),
  () => new Number(1),
  () => Object.freeze({ $gt: 1 }),
  () => ({ toString: () => 'a', valueOf: () => 1 }),
  () => new Uint8Array(2),
  () => /a/,
  () => () => 1,
];

const OPERATORS = ['$gt', '$gte', '$lt', '$lte', '$ne', '$in', '$nin', '$inc', '$eq', '$regex', '__proto__', 'constructor', 'toString'];
const HOSTILE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'nope', '', '$ne', '$inc'];

const scalar: fc.Arbitrary<unknown> = fc.constantFrom(...SCALARS);
const odd: fc.Arbitrary<unknown> = fc.constantFrom(...ODD).map((make) => make());
const list: fc.Arbitrary<unknown> = fc.array(fc.oneof({ weight: 6, arbitrary: scalar }, { weight: 1, arbitrary: odd }), { maxLength: 4 });
/** An operator object; `Object.fromEntries` keeps a `__proto__` key as an own key, as JSON.parse does. */
const operators: fc.Arbitrary<unknown> = fc
  .array(fc.tuple(fc.constantFrom(...OPERATORS), fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 2, arbitrary: list }, { weight: 1, arbitrary: odd })), { maxLength: 3 })
  .map((pairs) => Object.fromEntries(pairs));
const value: fc.Arbitrary<unknown> = fc.oneof({ weight: 8, arbitrary: scalar }, { weight: 1, arbitrary: odd }, { weight: 3, arbitrary: operators });

function keyOf(def: EntityDef): fc.Arbitrary<string> {
  return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...def.columnNames) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS) });
}

/** Values a column of each kind takes, so that enough calls succeed to compare what they did. */
const PLAUSIBLE: Readonly<Record<ColumnKind, readonly unknown[]>> = {
  integer: [0, 1, 2, 5, -1, 2 ** 31 - 1, null],
  bigint: [1, 5, 2 ** 40, 2n ** 62n, null],
  float: [0, 0.5, 2.5, -1, 1e300, null],
  text: ['a', 'b', 'qq', '😀', 'x'.repeat(13), 'g', null],
  boolean: [true, false, null],
  datetime: ['2024-01-01 10:00:00', '2024-02-29 23:59:59.999999', new Date(Date.UTC(2024, 5, 1)), null],
};

/** A key/value pair of a filter or data: mostly a column with a plausible or hostile value, sometimes a hostile key. */
function pairOf(def: EntityDef, hostile: fc.Arbitrary<unknown>): fc.Arbitrary<[string, unknown]> {
  const columns = def.table.columns;
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...columns).chain((c) => fc.tuple(fc.constant(c.name), fc.constantFrom(...PLAUSIBLE[c.kind]))) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...def.columnNames), hostile) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HOSTILE_KEYS), hostile) },
  );
}

/** An object from key/value pairs, or now and then something that is not a plain object at all. */
function objectOf(pairs: fc.Arbitrary<[string, unknown][]>, base: Row = {}): fc.Arbitrary<unknown> {
  const plain = pairs.map((p) => Object.fromEntries([...Object.entries(base), ...p]) as Row);
  return fc.oneof(
    { weight: 12, arbitrary: plain },
    { weight: 1, arbitrary: plain.map((o) => Object.create(o) as unknown) },
    { weight: 1, arbitrary: odd },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, 5, 'a', 1n, true) },
  );
}

function filtersOf(def: EntityDef): fc.Arbitrary<unknown> {
  return objectOf(fc.array(pairOf(def, value), { maxLength: 3 }));
}

function dataOf(def: EntityDef, entity: EntityRef, complete: boolean): fc.Arbitrary<unknown> {
  return objectOf(fc.array(pairOf(def, value), { maxLength: 3 }), complete ? BASE_ROWS.get(entity) : {});
}

function updateOf(def: EntityDef): fc.Arbitrary<unknown> {
  const inc = fc.oneof(scalar, odd).map(($inc) => ({ $inc }));
  return objectOf(fc.array(pairOf(def, fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: inc })), { minLength: 1, maxLength: 3 }));
}

function orderByOf(def: EntityDef): fc.Arbitrary<unknown> {
  const term = fc.oneof(fc.constantFrom(...def.columnNames).chain((c) => fc.constantFrom(c, `-${c}`)), fc.constantFrom<unknown>('', '-', '__proto__', '-constructor', 5, 1n, null));
  return fc.oneof(fc.constant(undefined), term, fc.array(term, { maxLength: 3 }), odd);
}

const limit: fc.Arbitrary<unknown> = fc.constantFrom(undefined, null, 0, 1, 2, -1, 1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 1e300, Number.NaN, Number.POSITIVE_INFINITY, 1n, '1', true);

function optionsOf(parts: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const plain = fc.record(parts, { requiredKeys: [] });
  return fc.oneof({ weight: 12, arbitrary: plain }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 5, 'a', []) }, { weight: 1, arbitrary: plain.map((o) => Object.create(o) as unknown) });
}

/** One data API call: the method, the entity argument and the rest of the arguments. */
export interface Call {
  readonly method: 'get' | 'count' | 'create' | 'createMany' | 'update' | 'delete' | 'save' | 'query';
  readonly entity: unknown;
  readonly args: readonly unknown[];
}

function callsOn(entity: EntityRef): fc.Arbitrary<Call> {
  const def = resolveEntity(entity);
  const getOptions = optionsOf({ filters: filtersOf(def), orderBy: orderByOf(def), limit, single: fc.constantFrom<unknown>(true, false, 'yes', 1) });
  const saveOptions = optionsOf({ keyField: keyOf(def), keyValue: value });
  const queryOptions = optionsOf({
    type: fc.constantFrom<unknown>('get', 'count', 'create', 'update', 'delete', 'upsert', '__proto__', 1n, undefined),
    data: fc.oneof(dataOf(def, entity, true), updateOf(def)),
    filters: filtersOf(def),
    orderBy: orderByOf(def),
    limit,
    single: fc.boolean(),
  });
  const ref = fc.oneof({ weight: 12, arbitrary: fc.constant<unknown>(entity) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(def.name, def.table.table, '__proto__', 'constructor', null, 5, {}) });
  const call = (method: Call['method'], args: fc.Arbitrary<unknown[]>) => fc.tuple(ref, args).map(([e, a]): Call => ({ method, entity: e, args: a }));
  return fc.oneof(
    call('get', fc.tuple(getOptions)),
    call('count', fc.tuple(filtersOf(def), optionsOf({ cache: fc.boolean() }))),
    call('create', fc.tuple(dataOf(def, entity, true))),
    call('createMany', fc.tuple(fc.oneof({ weight: 6, arbitrary: fc.array(dataOf(def, entity, true), { maxLength: 3 }) }, { weight: 1, arbitrary: odd }))),
    call('update', fc.tuple(filtersOf(def), updateOf(def))),
    call('delete', fc.tuple(filtersOf(def))),
    call('save', fc.tuple(fc.oneof(dataOf(def, entity, true), dataOf(def, entity, false)), saveOptions)),
    call('query', fc.tuple(queryOptions)),
  );
}

const anyCall: fc.Arbitrary<Call> = fc.oneof(...ENTITIES.map(callsOn));

/** A call's outcome on one database: its result, or the code it failed with. */
type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly code: string };

function show(call: Call): string {
  let entity: string;
  try {
    entity = resolveEntity(call.entity).name;
  } catch {
    entity = fc.stringify(call.entity);
  }
  return `${call.method}(${entity}, ${call.args.map((a) => fc.stringify(a)).join(', ')})`;
}

async function run(db: Database, call: Call): Promise<Outcome> {
  try {
    const method = db[call.method] as (this: Database, ...args: unknown[]) => Promise<unknown>;
    const value = await method.call(db, call.entity, ...call.args);
    let def: EntityDef | undefined;
    try {
      def = resolveEntity(call.entity);
    } catch {
      def = undefined;
    }
    return { ok: true, value: comparable(def, value) };
  } catch (e) {
    if (!(e instanceof BotDbError)) throw new Error(`${show(call)} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}, not a BotDbError`, { cause: e });
    expect(EXPECTED_CODES.has(e.code), `${show(call)} failed with ${e.code}: ${e.message}`).to.equal(true);
    return { ok: false, code: e.code };
  }
}

/**
 * Whether two databases may return different rows for the call (and only the count must agree):
 * a limited read whose order is not total leaves the choice of rows to the database.
 */
function orderOpen(call: Call): boolean {
  const options = call.method === 'get' || call.method === 'query' ? (call.args[0] as Record<string, unknown> | null) : null;
  if (options === null || typeof options !== 'object') return false;
  const limited = options.single === true || (typeof options.limit === 'number' && options.limit > 0);
  const order = options.orderBy;
  const terms = Array.isArray(order) ? order : [order];
  return limited && !terms.some((t) => t === 'id' || t === '-id');
}

/**
 * Whether the call inserts a row with an explicit key. The databases then key the other rows
 * of the call differently: SQLite takes the next rowid after the largest key, PostgreSQL the
 * next value of the sequence, which an explicit key does not advance.
 */
function setsKey(call: Call): boolean {
  const given = call.method === 'query' ? [(call.args[0] as { data?: unknown } | null)?.data] : call.method === 'createMany' && Array.isArray(call.args[0]) ? call.args[0] : [call.args[0]];
  return given.some((row) => typeof row === 'object' && row !== null && Object.prototype.propertyIsEnumerable.call(row, 'id') && (row as Row).id !== null && (row as Row).id !== undefined);
}

function withoutKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutKeys).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (typeof value !== 'object' || value === null) return value;
  const { id: _id, ...rest } = value as Row;
  return rest;
}

function agreeable(call: Call, outcome: Outcome): unknown {
  if (!outcome.ok) return outcome;
  if ((call.method === 'create' || call.method === 'createMany' || call.method === 'save' || call.method === 'query') && setsKey(call)) return withoutKeys(outcome.value);
  const v = outcome.value;
  if (Array.isArray(v)) {
    if (orderOpen(call)) return { rows: v.length };
    // Ties in the order (or no order) may come back in any order: compare as sets.
    return [...v].sort((a, b) => Number((a as Row).id) - Number((b as Row).id));
  }
  if (orderOpen(call) && typeof v === 'object' && v !== null) return 'a row';
  return outcome;
}

/**
 * Registers the property. `open` gives one database (its dialect alone) or two (compared with
 * each other); `close` closes what it opened.
 */
export function hostileCallTests(label: string, open: () => Promise<Database[]>, close: (dbs: Database[]) => Promise<void> = async (dbs) => { for (const db of dbs) await db.close(); }): void {
  it(`every data API call with hostile arguments succeeds or fails with a code and writes nothing (${label}, ${FUZZ_RUNS} calls)`, async function () {
    this.timeout(0);
    const dbs = await open();
    try {
      for (const db of dbs) await resetTables(db);
      const seeds = await Promise.all(dbs.map(snapshot));
      if (dbs.length === 2) expect(seeds[1], 'the seed rows differ between the databases').to.deep.equal(seeds[0]);
      let dirty = false;
      await fc.assert(
        fc.asyncProperty(anyCall, async (call) => {
          if (dirty) for (const db of dbs) await resetTables(db);
          dirty = false;
          const outcomes: Outcome[] = [];
          for (const [i, db] of dbs.entries()) {
            const outcome = await run(db, call);
            outcomes.push(outcome);
            // A statement the database refused (a unique key) still used up a key on
            // PostgreSQL: put the sequences back too.
            if (outcome.ok || outcome.code === 'BOTDB_ERR_CONSTRAINT') dirty = true;
            if (!outcome.ok) expect(await snapshot(db), `${show(call)} failed with ${outcome.code} but changed rows (${db.config.dialect})`).to.deep.equal(seeds[i]);
          }
          if (outcomes.length === 2) {
            expect(agreeable(call, outcomes[1]!), `${show(call)}: ${dbs[0]!.config.dialect} and ${dbs[1]!.config.dialect} disagree`).to.deep.equal(agreeable(call, outcomes[0]!));
          }
        }),
        { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true },
      );
    } finally {
      await close(dbs);
    }
  });
}

/**
 * #14: with MikroORM's `debug` on, its logger prints statements with values inlined; the
 * `query` hook must still get the shape only.
 */
export function queryHookShapeTest(open: (config: BotDbConfig) => Promise<Database>): void {
  it('the query hook gets statement shapes, never values, with MikroORM debug on', async function () {
    const secret = 'secret-value-Ω-4711';
    const hooked: { sql: string; source: string }[] = [];
    // MikroORM's debug output goes to stdout: kept for the check, not printed.
    const printed: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    let db: Database | undefined;
    try {
      db = await open({ debug: true });
      db.pipeline.hooks.query.tap('test', (e) => void hooked.push({ sql: e.sql, source: e.source }));
      await db.session(async (em) => {
        em.persist(em.create(ChatStreams, stream(secret) as never));
        await em.flush();
        await em.find(ChatStreams, { stream_id: secret });
        await em.nativeUpdate(ChatStreams, { stream_id: secret }, { user_nickname: secret });
      });
    } finally {
      await db?.close();
      process.stdout.write = write;
    }
    const fromOrm = hooked.filter((e) => e.source === 'mikro-orm');
    expect(printed.join(''), 'MikroORM debug output (values inlined: the case under test)').to.include(secret);
    expect(fromOrm.length).to.be.at.least(3);
    for (const e of fromOrm) expect(e.sql).to.not.include(secret);
    expect(fromOrm.some((e) => /insert into/i.test(e.sql) && /\?|\$1/.test(e.sql))).to.equal(true);
  });
}
