import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import BetterSqlite3 from 'better-sqlite3';
import { BOTDB_INDEXES, createDatabase, Emoji, Messages, TABLES, UserRelationships, type BotDbConfig, type Database, type SyncReport } from '../src/index.js';
import { tempDir } from './support/sqlite.js';

interface SourceColumn {
  name: string;
  sqlite_type: string;
  nullable: boolean;
  primary: boolean;
  default: unknown;
}
interface SourceTable {
  model: string;
  table: string;
  columns: SourceColumn[];
  indexes: { name: string; columns: string[]; unique: boolean }[];
  constraints?: { type: string; name: string | null; columns: string[] }[];
  registered_by?: string;
}

const MODELS = JSON.parse(readFileSync(new URL('./fixtures/models.json', import.meta.url), 'utf8')) as SourceTable[];
const PYTHON_DDL = readFileSync(new URL('./fixtures/python-bot-schema.sqlite.sql', import.meta.url), 'utf8');
const BOTDB_INDEX = 'idx_botdb_messages_chat_id_time';

interface ColumnInfo {
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

/** What a SQLite file holds: tables with `pragma table_info`, and indexes with their SQL. */
function inspect(file: string): { tables: Map<string, ColumnInfo[]>; tableSql: Map<string, string>; indexes: Map<string, { table: string; sql: string | null; columns: string[]; unique: boolean }> } {
  const conn = new BetterSqlite3(file, { readonly: true });
  try {
    const tables = new Map<string, ColumnInfo[]>();
    const tableSql = new Map<string, string>();
    for (const t of conn.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string; sql: string }[]) {
      tables.set(t.name, conn.prepare(`SELECT * FROM pragma_table_info(?)`).all(t.name) as ColumnInfo[]);
      tableSql.set(t.name, t.sql);
    }
    const indexes = new Map<string, { table: string; sql: string | null; columns: string[]; unique: boolean }>();
    for (const i of conn.prepare(`SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'`).all() as { name: string; tbl_name: string; sql: string | null }[]) {
      const columns = (conn.prepare(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`).all(i.name) as { name: string }[]).map((c) => c.name);
      const list = conn.prepare(`SELECT name, "unique" AS u FROM pragma_index_list(?)`).all(i.tbl_name) as { name: string; u: number }[];
      indexes.set(i.name, { table: i.tbl_name, sql: i.sql, columns, unique: list.find((l) => l.name === i.name)?.u === 1 });
    }
    return { tables, tableSql, indexes };
  } finally {
    conn.close();
  }
}

function execSql(file: string, sql: string): void {
  const conn = new BetterSqlite3(file);
  try {
    conn.exec(sql);
  } finally {
    conn.close();
  }
}

/** Opens botdb on `file`, collecting warnings; returns the database and its sync report. */
async function open(file: string, config: BotDbConfig = {}): Promise<{ db: Database; report: SyncReport; warnings: string[] }> {
  const warnings: string[] = [];
  const db = await createDatabase({ url: `sqlite:${file}`, warn: (m) => warnings.push(m), ...config });
  const report = db.syncReport!;
  return { db, report, warnings };
}

function message(chat: string) {
  return {
    message_id: 'm', time: 1, chat_id: chat, chat_info_stream_id: chat, chat_info_platform: 'qq', chat_info_user_platform: 'qq',
    chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1, chat_info_last_active_time: 2,
  };
}

const MODEL_INDEXES = MODELS.flatMap((m) => m.indexes.map((i) => ({ ...i, table: m.table })));

describe('schema: the generated contract (tables.ts) matches models.json', function () {
  it('has every model, in order, with its table name', function () {
    expect(TABLES.map((t) => [t.model, t.table])).to.deep.equal(MODELS.map((m) => [m.model, m.table]));
    expect(TABLES).to.have.length(26);
    expect(TABLES.filter((t) => t.inModelMapping)).to.have.length(25);
    expect(TABLES.find((t) => !t.inModelMapping)?.table).to.equal('napcat_ban_records');
  });

  for (const model of MODELS) {
    it(`${model.table}: columns, types, nullability, literal defaults, indexes and constraints`, function () {
      const table = TABLES.find((t) => t.table === model.table)!;
      expect(table.columns.map((c) => c.name), 'column order').to.deep.equal(model.columns.map((c) => c.name));
      expect(table.columns.map((c) => c.nullable), 'nullability').to.deep.equal(model.columns.map((c) => c.nullable));
      expect(table.columns.map((c) => c.sqliteType), 'SQLite types').to.deep.equal(model.columns.map((c) => c.sqlite_type));
      expect(table.columns.map((c) => c.primary === true), 'primary key').to.deep.equal(model.columns.map((c) => c.primary));
      for (const [i, src] of model.columns.entries()) {
        const col = table.columns[i]!;
        if (src.default === null) expect(col.default, `${col.name} has no default`).to.equal(undefined);
        else if (typeof src.default !== 'object') expect(col.default, `${col.name} default`).to.deep.equal({ value: src.default });
        else expect(col.default && 'fn' in col.default, `${col.name} computed default`).to.equal(true);
      }
      expect(table.indexes.map((i) => ({ name: i.name, columns: [...i.columns], unique: i.unique }))).to.deep.equal(model.indexes);
      const uniques = (model.constraints ?? []).filter((c) => c.type === 'UNIQUE').map((c) => ({ name: c.name, columns: c.columns }));
      expect(table.uniques.map((u) => ({ name: u.name, columns: [...u.columns] }))).to.deep.equal(uniques);
      expect(table.inModelMapping).to.equal(model.registered_by === undefined);
    });
  }
});

describe('schema sync: an empty file', function () {
  const dir = tempDir();
  const file = dir.file('empty.db');
  let first: SyncReport;
  let warnings: string[] = [];
  before(async function () {
    const opened = await open(file);
    first = opened.report;
    warnings = opened.warnings;
    await opened.db.close();
  });
  after(function () {
    dir.remove();
  });

  it('creates the 26 tables and reports them', function () {
    const { tables } = inspect(file);
    expect([...tables.keys()].sort()).to.deep.equal(MODELS.map((m) => m.table).sort());
    expect([...first.createdTables].sort()).to.deep.equal(MODELS.map((m) => m.table).sort());
    expect(first.addedColumns).to.deep.equal([]);
    expect(warnings).to.deep.equal([]);
  });

  it('creates every index of models.json, with its columns and uniqueness, and botdb’s own', function () {
    const { indexes } = inspect(file);
    for (const i of MODEL_INDEXES) {
      const found = indexes.get(i.name);
      expect(found, i.name).to.not.equal(undefined);
      expect({ table: found!.table, columns: found!.columns, unique: found!.unique }, i.name).to.deep.equal({ table: i.table, columns: i.columns, unique: i.unique });
    }
    expect(indexes.get(BOTDB_INDEX)?.columns).to.deep.equal(['chat_id', 'time']);
    expect(BOTDB_INDEXES.map((i) => i.name)).to.deep.equal([BOTDB_INDEX]);
    expect([...first.createdIndexes].sort()).to.deep.equal([...MODEL_INDEXES.map((i) => i.name), BOTDB_INDEX].sort());
  });

  it('creates the columns of models.json: names, order, types, NOT NULL, primary key, no DEFAULT clauses', function () {
    const { tables } = inspect(file);
    for (const model of MODELS) {
      const info = tables.get(model.table)!;
      expect(info.map((c) => c.name), model.table).to.deep.equal(model.columns.map((c) => c.name));
      expect(info.map((c) => c.type), model.table).to.deep.equal(model.columns.map((c) => c.sqlite_type));
      expect(info.map((c) => c.notnull === 1), model.table).to.deep.equal(model.columns.map((c) => !c.nullable));
      expect(info.map((c) => c.pk > 0), model.table).to.deep.equal(model.columns.map((c) => c.primary));
      expect(info.map((c) => c.dflt_value), model.table).to.deep.equal(model.columns.map(() => null));
    }
  });

  it('writes CREATE TABLE exactly as the Python module did', function () {
    const python = dir.file('python-ddl.db');
    execSql(python, PYTHON_DDL);
    const expected = inspect(python).tableSql;
    const actual = inspect(file).tableSql;
    for (const [table, sql] of expected) expect(actual.get(table), table).to.equal(sql);
  });

  it('does nothing on a second start', async function () {
    const before = inspect(file);
    const { db, report, warnings: again } = await open(file);
    await db.close();
    expect(report).to.deep.equal({ createdTables: [], addedColumns: [], createdIndexes: [], warnings: [] });
    expect(again).to.deep.equal([]);
    expect(inspect(file)).to.deep.equal(before);
  });
});

describe('schema sync: a database the Python bot created', function () {
  const dir = tempDir();
  const file = dir.file('python.db');
  let snapshot: ReturnType<typeof inspect>;
  let report: SyncReport;
  let warnings: string[];
  let db: Database;
  const napcat = MODELS.find((m) => m.table === 'napcat_ban_records')!;

  before(async function () {
    execSql(file, PYTHON_DDL);
    snapshot = inspect(file);
    ({ db, report, warnings } = await open(file));
  });
  after(async function () {
    await db?.close();
    dir.remove();
  });

  it('creates only the napcat table (which that DDL lacks) and botdb’s own index', function () {
    expect(snapshot.tables.has('napcat_ban_records')).to.equal(false);
    expect(report.createdTables).to.deep.equal(['napcat_ban_records']);
    expect(report.addedColumns).to.deep.equal([]);
    expect([...report.createdIndexes].sort()).to.deep.equal([BOTDB_INDEX, ...napcat.indexes.map((i) => i.name)].sort());
    expect(warnings).to.deep.equal([]);
  });

  it('leaves pragma table_info of every existing table identical', function () {
    const now = inspect(file);
    for (const [table, info] of snapshot.tables) expect(now.tables.get(table), table).to.deep.equal(info);
    for (const [table, sql] of snapshot.tableSql) expect(now.tableSql.get(table), table).to.equal(sql);
  });

  it('leaves every existing index as it was', function () {
    const now = inspect(file);
    for (const [name, index] of snapshot.indexes) expect(now.indexes.get(name), name).to.deep.equal(index);
    // The new table's UNIQUE constraint brings its own automatic index.
    const added = [...now.indexes.keys()].filter((n) => !snapshot.indexes.has(n) && !n.startsWith('sqlite_autoindex_napcat_ban_records'));
    expect(added.sort()).to.deep.equal([...report.createdIndexes].sort());
  });

  it('reads and writes the tables', async function () {
    const row = await db.create(Messages, message('py-chat'));
    expect(await db.get(Messages, { filters: { chat_id: 'py-chat' }, single: true })).to.deep.equal(row);
  });
});

describe('schema sync: a database with extra columns and missing columns', function () {
  const dir = tempDir();
  const file = dir.file('drifted.db');
  let report: SyncReport;
  let warnings: string[];
  let db: Database;

  // user_relationships carries columns another program added (one NOT NULL with a default);
  // messages lacks two columns (and the index on one of them); emoji lacks a NOT NULL column
  // that has no default.
  const ddl = PYTHON_DDL.replace(
    '\tcreated_at DATETIME NOT NULL, \n\tPRIMARY KEY (id)\n);\nCREATE INDEX idx_relationship_score',
    "\tcreated_at DATETIME NOT NULL, \n\timpression_text TEXT, \n\tattitude FLOAT NOT NULL DEFAULT 0.5, \n\talias_history TEXT DEFAULT '[]', \n\tPRIMARY KEY (id)\n);\nCREATE INDEX idx_relationship_score",
  )
    .replace('\tmemorized_times INTEGER NOT NULL, \n', '')
    .replace('\tshould_act BOOLEAN, \n', '')
    .replace('CREATE INDEX idx_messages_should_act ON messages (should_act);\n', '')
    .replace('\tformat TEXT NOT NULL, \n', '');

  before(async function () {
    expect(ddl).to.include('attitude FLOAT NOT NULL DEFAULT 0.5');
    expect(ddl).to.not.include('memorized_times').and.not.include('should_act').and.not.include('\tformat TEXT');
    execSql(file, ddl);
    // A row written before the columns existed.
    const m = message('old-chat');
    execSql(file, `INSERT INTO messages (${Object.keys(m).join(', ')}, is_emoji, is_picid, is_command, is_notify, is_public_notice) VALUES (${Object.values(m).map((v) => (typeof v === 'string' ? `'${v}'` : v)).join(', ')}, 0, 0, 0, 0, 0)`);
    ({ db, report, warnings } = await open(file));
  });
  after(async function () {
    await db?.close();
    dir.remove();
  });

  it('adds the missing columns and reports them', function () {
    expect([...report.addedColumns].sort()).to.deep.equal(['emoji.format', 'messages.memorized_times', 'messages.should_act']);
    expect(report.createdTables).to.deep.equal(['napcat_ban_records']);
    expect(report.createdIndexes).to.include('idx_messages_should_act');
  });

  it('adds a NOT NULL column with a literal default as NOT NULL DEFAULT, and one without as nullable, with a warning', function () {
    const { tables } = inspect(file);
    const col = (table: string, name: string) => tables.get(table)!.find((c) => c.name === name)!;
    expect(col('messages', 'memorized_times')).to.include({ notnull: 1, dflt_value: '0' });
    expect(col('messages', 'should_act')).to.include({ notnull: 0, dflt_value: '0' });
    expect(col('emoji', 'format')).to.include({ notnull: 0, dflt_value: null });
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include('emoji.format');
  });

  it('keeps the extra columns', function () {
    const names = inspect(file).tables.get('user_relationships')!.map((c) => c.name);
    expect(names).to.include.members(['impression_text', 'attitude', 'alias_history']);
    expect(names.slice(0, 9)).to.deep.equal(TABLES.find((t) => t.table === 'user_relationships')!.columns.map((c) => c.name));
  });

  it('still inserts into the table with extra columns, which fill their own defaults', async function () {
    const row = await db.create(UserRelationships, { user_id: 'u-extra', relationship_text: 'friend' });
    expect(Object.keys(row)).to.deep.equal(TABLES.find((t) => t.table === 'user_relationships')!.columns.map((c) => c.name));
    const conn = new BetterSqlite3(file, { readonly: true });
    try {
      expect(conn.prepare('SELECT attitude, alias_history, impression_text FROM user_relationships WHERE id = ?').get(row.id)).to.deep.equal({ attitude: 0.5, alias_history: '[]', impression_text: null });
    } finally {
      conn.close();
    }
  });

  it('reads old rows with the added columns’ defaults and writes new rows', async function () {
    const old = await db.get(Messages, { filters: { chat_id: 'old-chat' }, single: true });
    expect(old?.memorized_times).to.equal(0);
    expect(old?.should_act).to.equal(false);
    const created = await db.create(Messages, { ...message('new-chat'), should_act: true });
    expect(created.should_act).to.equal(true);
    expect(created.memorized_times).to.equal(0);
    const emoji = await db.create(Emoji, { full_path: '/e.png', format: 'png', emoji_hash: 'h', description: 'd', record_time: 1 });
    expect(emoji.format).to.equal('png');
    expect(emoji.is_banned).to.equal(false);
  });
});
