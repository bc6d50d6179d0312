/**
 * The hostile-input property for compat, shared by the SQLite and PostgreSQL test files: every
 * `db_query`, `db_get` and `db_save` call with hostile arguments returns (compat never throws),
 * and a call that logged an error wrote nothing. `BOTDB_FUZZ_RUNS` sets the number of calls
 * (default 200), `BOTDB_FUZZ_SEED` the seed.
 */
import { it } from 'mocha';
import { expect } from 'chai';
import fc from 'fast-check';
import { resolveEntity, type Database, type EntityRef, type Row } from '@botdb/core';
import { ChatStreams, db_get, db_query, db_save, MaiZoneScheduleStatus, setCompatLogger } from '@botdb/compat';

const RUNS = Number(process.env.BOTDB_FUZZ_RUNS ?? 200);
const SEED = Number(process.env.BOTDB_FUZZ_SEED ?? 20_261_204);

const ENTITIES = [ChatStreams, MaiZoneScheduleStatus] as const;

export function stream(id: string, extra: Row = {}): Row {
  return { stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: 'u', user_nickname: 'n', ...extra };
}

const SEED_ROWS = new Map<EntityRef, readonly Row[]>([
  [ChatStreams, [stream('a', { id: 1 }), stream('b', { id: 2, message_count: 5, user_nickname: '😀' }), stream('c', { id: 3, user_id: 'v' })]],
  [MaiZoneScheduleStatus, [{ id: 1, datetime_hour: '2024-01-01 00', activity: 'x', processed_at: '2024-01-01 10:00:00', created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00' }]],
]);

const BASE_ROWS = new Map<EntityRef, Row>([
  [ChatStreams, stream('new')],
  [MaiZoneScheduleStatus, { datetime_hour: '2024-02-01 00', activity: 'z' }],
]);

/** Puts the tables back to the seed rows. */
export async function resetTables(db: Database): Promise<void> {
  for (const entity of ENTITIES) {
    await db.delete(entity, {});
    await db.createMany(entity, [...(SEED_ROWS.get(entity) ?? [])]);
  }
}

/** Every row of the tables, in key order. */
export async function snapshot(db: Database): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const entity of ENTITIES) out.push(await db.get(entity, { orderBy: 'id' }));
  return out;
}

const SCALARS: readonly unknown[] = [
  '', 'a', 'b', 'new', '😀', 'x'.repeat(65), 'nul\u0000', '\ud800', 'a\udc00b', '__proto__', 'constructor', '2024-01-01 10:00:00', '2024-13-45 99:99:99', '5', '1e400',
  0, 1, 5, -1, 1.5, -0, 2 ** 31, 2 ** 53, 1e300, Number.NaN, Number.POSITIVE_INFINITY,
  0n, 5n, 2n ** 63n, 2n ** 80n, true, false, null, undefined,
  new Date(Date.UTC(2024, 0, 1, 10)), new Date(Number.NaN), new Date(Date.UTC(10_000, 0, 1)), Symbol('s'),
];

const ODD: readonly (() => unknown)[] = [
  () => ({}),
  () => JSON.parse('{"__proto__": {"id": 777, "stream_id": "p", "reply_count": 5}}') as unknown,
  () => Object.create({ $ne: 'a' }) as unknown,
  () => new Map([['stream_id', 'a']]),
  () => [],
  () => ['a', 'b'],
  // eslint-disable-next-line no-sparse-arrays
  () => [, 'a'],
  () => ({ a: { b: { c: {} } } }),
  () => Object.create(null) as unknown,
  () => new String('a'),
  () => () => 1,
];

const OPERATORS = ['$gt', '$gte', '$lt', '$lte', '$ne', '$in', '$nin', '$regex', '$like', '__proto__', 'constructor', 'toString'];
const HOSTILE_KEYS = ['__proto__', 'constructor', 'toString', 'nope', ''];

const scalar = fc.constantFrom(...SCALARS);
const odd = fc.constantFrom(...ODD).map((make) => make());
const operators = fc
  .array(fc.tuple(fc.constantFrom(...OPERATORS), fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 2, arbitrary: fc.array(scalar, { maxLength: 3 }) }, { weight: 1, arbitrary: odd })), { maxLength: 3 })
  .map((pairs) => Object.fromEntries(pairs));
const value = fc.oneof({ weight: 8, arbitrary: scalar }, { weight: 1, arbitrary: odd }, { weight: 3, arbitrary: operators });

function recordOf(entity: EntityRef, base: Row = {}): fc.Arbitrary<unknown> {
  const def = resolveEntity(entity);
  const key = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...def.columnNames) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS) });
  const plain = fc.array(fc.tuple(key, value), { maxLength: 3 }).map((p) => Object.fromEntries([...Object.entries(base), ...p]) as Row);
  return fc.oneof({ weight: 10, arbitrary: plain }, { weight: 1, arbitrary: odd }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, 5, 'a') });
}

function kwargsOf(parts: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 10, arbitrary: fc.record(parts, { requiredKeys: [] }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, 5, 'a', []) });
}

interface CompatCall {
  readonly api: 'db_query' | 'db_get' | 'db_save';
  readonly args: readonly unknown[];
}

function callsOn(entity: EntityRef): fc.Arbitrary<CompatCall> {
  const def = resolveEntity(entity);
  const ref = fc.oneof({ weight: 10, arbitrary: fc.constant<unknown>(entity) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(def.name, '__proto__', 'constructor', null, 5) });
  const limit = fc.constantFrom<unknown>(undefined, null, 0, 1, 2, -1, 1.5, 2 ** 31, 2 ** 53, 1e300, 1n, '2');
  const orderTerm = fc.constantFrom<unknown>('id', '-id', 'stream_id', '__proto__', '', 5, 1n, null);
  const query = kwargsOf({
    data: fc.oneof(recordOf(entity, BASE_ROWS.get(entity)), recordOf(entity)),
    query_type: fc.constantFrom<unknown>('get', 'create', 'update', 'delete', 'count', 'upsert', '__proto__', 1n, null),
    filters: recordOf(entity),
    limit,
    order_by: fc.oneof(fc.array(orderTerm, { maxLength: 2 }), orderTerm),
    single_result: fc.constantFrom<unknown>(true, false, 'yes'),
  });
  const get = kwargsOf({ filters: recordOf(entity), limit, order_by: orderTerm, single_result: fc.boolean() });
  const save = kwargsOf({ key_field: fc.constantFrom<unknown>(...def.columnNames, '__proto__', 5, null), key_value: value });
  return fc.oneof(
    fc.tuple(ref, query).map(([e, a]): CompatCall => ({ api: 'db_query', args: [e, a] })),
    fc.tuple(ref, get).map(([e, a]): CompatCall => ({ api: 'db_get', args: [e, a] })),
    fc.tuple(ref, fc.oneof(recordOf(entity, BASE_ROWS.get(entity)), recordOf(entity)), save).map(([e, d, a]): CompatCall => ({ api: 'db_save', args: [e, d, a] })),
  );
}

const API = { db_query, db_get, db_save } as unknown as Record<CompatCall['api'], (...args: unknown[]) => Promise<unknown>>;

/** Registers the property against the default compat database, which `getDb()` returns (opened by the caller). */
export function compatHostileTests(label: string, getDb: () => Database): void {
  it(`db_query, db_get and db_save with hostile arguments never throw, and a call that logged an error wrote nothing (${label}, ${RUNS} calls)`, async function () {
    this.timeout(0);
    const db = getDb();
    let errors = 0;
    setCompatLogger({ error: () => void (errors += 1), warn: () => undefined });
    await resetTables(db);
    const seed = await snapshot(db);
    let dirty = false;
    await fc.assert(
      fc.asyncProperty(fc.oneof(...ENTITIES.map(callsOn)), async (call) => {
        if (dirty) await resetTables(db);
        dirty = false;
        const before = errors;
        const shown = `${call.api}(${call.args.map((a, i) => (i === 0 && ENTITIES.includes(a as never) ? resolveEntity(a).name : fc.stringify(a))).join(', ')})`;
        let result: unknown;
        try {
          result = await API[call.api]!(...call.args);
        } catch (e) {
          expect.fail(`${shown} threw ${String(e)}`);
        }
        if (errors === before) {
          dirty = true;
          return;
        }
        expect(result === null || (Array.isArray(result) && result.length === 0), `${shown} logged an error and returned ${fc.stringify(result)}`).to.equal(true);
        expect(await snapshot(db), `${shown} logged an error but changed rows`).to.deep.equal(seed);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });
}
