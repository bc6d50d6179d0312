/**
 * Compatibility proof: a database written by the Python module, opened through compat, answers
 * every recorded call exactly as the Python module did (DateTime compared at millisecond
 * precision, botdb's documented precision); then rows botdb writes land on disk in the Python
 * module's own text formats.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { formatNaive, type Row } from '@botdb/core';
import {
  db_get,
  db_query,
  db_save,
  initialize_sql_database,
  MODEL_MAPPING,
  setCompatLogger,
  stop_database,
  store_action_info,
} from '@botdb/compat';

interface Call {
  id: string;
  api: 'db_get' | 'db_query' | 'db_save' | 'store_action_info';
  mutates: boolean;
  args: Record<string, unknown>;
  result: unknown;
  volatile_fields?: string[];
}

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const expectFile = JSON.parse(readFileSync(join(fixtures, 'python-bot-sample.expect.json'), 'utf8')) as {
  calls: Call[];
  encoding: { datetime_columns: Record<string, string[]> };
  table_counts_after: Record<string, number>;
};

/** Decodes the recording's argument encoding into what a TypeScript caller passes. */
function decodeArg(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeArg);
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    // Naive text keeps all six fraction digits; a Date would keep three.
    if ('$datetime' in obj) return String(obj.$datetime);
    if ('$chat_stream' in obj) return obj.$chat_stream;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, decodeArg(v)]));
  }
  return value;
}

/** Actual rows in the recording's form: DateTime as ISO text cut to milliseconds. */
function normalize(value: unknown): unknown {
  if (value instanceof Date) return formatNaive(value, 'utc').replace(' ', 'T').slice(0, 23);
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  return value;
}

function normalizeExpected(model: string, value: unknown): unknown {
  const dtCols = new Set(expectFile.encoding.datetime_columns[model] ?? []);
  const fix = (row: Row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, dtCols.has(k) && typeof v === 'string' ? v.slice(0, 23) : v]));
  if (Array.isArray(value)) return value.map((r) => fix(r as Row));
  if (value && typeof value === 'object') return fix(value as Row);
  return value;
}

function stripVolatile(value: unknown, fields: readonly string[]): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out = { ...(value as Row) };
  for (const f of fields) {
    expect(out[f], `volatile field ${f} present`).to.not.equal(undefined);
    expect(out[f], `volatile field ${f} set`).to.not.equal(null);
    delete out[f];
  }
  return out;
}

async function invoke(call: Call): Promise<unknown> {
  const a = decodeArg(call.args) as Record<string, unknown>;
  const model = a.model_class as string;
  const Model = (MODEL_MAPPING as Record<string, unknown>)[model] ?? model; // NapcatBanRecord is not in MODEL_MAPPING
  switch (call.api) {
    case 'db_get':
      return db_get(Model as never, a as never);
    case 'db_query':
      return db_query(Model as never, a as never);
    case 'db_save':
      return db_save(Model as never, a.data as Row, a as never);
    case 'store_action_info':
      return store_action_info(a as never);
  }
}

describe('compat: replaying the Python module on its own database', function () {
  let dir: string;
  let file: string;
  const logged: string[] = [];

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'botdb-fixture-'));
    file = join(dir, 'python-bot-sample.db');
    copyFileSync(join(fixtures, 'python-bot-sample.db'), file);
    setCompatLogger({ error: (m) => logged.push(`error: ${m}`), warn: (m) => logged.push(`warn: ${m}`) });
    const db = await initialize_sql_database({ database_type: 'sqlite', sqlite_path: file }, { timeZone: 'utc' });
    expect(db, 'initialize_sql_database returned a Database').to.not.equal(null);
  });

  after(async function () {
    await stop_database();
    rmSync(dir, { recursive: true, force: true });
  });

  it('MODEL_MAPPING has the 25 models', function () {
    expect(Object.keys(MODEL_MAPPING)).to.have.length(25);
    expect(MODEL_MAPPING).to.not.have.property('NapcatBanRecord');
  });

  it('answers every recorded call, in order, as the Python module did', async function () {
    expect(expectFile.calls.length).to.equal(64);
    for (const call of expectFile.calls) {
      const actual = normalize(await invoke(call));
      const model = String(call.args.model_class ?? 'ActionRecords');
      let expected = normalizeExpected(model, call.result);
      let got = actual;
      if (call.volatile_fields) {
        got = stripVolatile(got, call.volatile_fields);
        expected = stripVolatile(expected, call.volatile_fields);
      }
      expect(got, `call ${call.id}`).to.deep.equal(expected);
    }
    // Unknown fields, operators and keys warned rather than failing silently.
    expect(logged.some((l) => l.includes('no_such_field'))).to.equal(true);
    expect(logged.some((l) => l.includes('$regex'))).to.equal(true);
  });

  it('leaves every table with the recorded row count', function () {
    const raw = new Database(file, { readonly: true });
    try {
      for (const [table, n] of Object.entries(expectFile.table_counts_after)) {
        const row = raw.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number };
        expect(row.n, table).to.equal(n);
      }
    } finally {
      raw.close();
    }
  });

  it('writes rows in the Python module on-disk formats', async function () {
    const row = (await db_query(MODEL_MAPPING.LLMUsage as never, {
      query_type: 'create',
      data: { model_name: 'fmt', model_assign_name: 'a', model_api_provider: 'p', user_id: 'u', request_type: 't', endpoint: '/e', prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, cost: 0.5, status: 'success', timestamp: new Date(Date.UTC(2025, 9, 1, 8, 0, 0, 123)) },
    })) as Row;
    const perm = (await db_query(MODEL_MAPPING.UserPermissions as never, {
      query_type: 'create',
      data: { platform: 'qq', user_id: 'fmt', permission_node: 'x', granted: true },
    })) as Row;
    const raw = new Database(file, { readonly: true });
    try {
      const llm = raw.prepare('SELECT timestamp, typeof(timestamp) AS t, cost, typeof(cost) AS c FROM llm_usage WHERE id = ?').get(row.id) as Record<string, unknown>;
      expect(llm).to.deep.equal({ timestamp: '2025-10-01 08:00:00.123000', t: 'text', cost: 0.5, c: 'real' });
      const p = raw.prepare('SELECT granted, typeof(granted) AS g, granted_at FROM user_permissions WHERE id = ?').get(perm.id) as Record<string, unknown>;
      expect(p.granted).to.equal(1);
      expect(p.g).to.equal('integer');
      expect(String(p.granted_at)).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
      // Every column's storage class matches a row the Python module wrote to the same table.
      for (const [table, id] of [['llm_usage', row.id], ['user_permissions', perm.id]] as const) {
        const cols = (raw.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map((c) => c.name);
        const types = (rid: unknown) => raw.prepare(`SELECT ${cols.map((c) => `typeof("${c}") AS "${c}"`).join(', ')} FROM "${table}" WHERE id = ?`).get(rid) as Record<string, string>;
        const ours = types(id);
        const theirs = types(1);
        for (const c of cols) if (ours[c] !== 'null' && theirs[c] !== 'null') expect(ours[c], `${table}.${c}`).to.equal(theirs[c]);
      }
    } finally {
      raw.close();
    }
  });
});
