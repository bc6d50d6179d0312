import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { BOTDB_INDEXES, UserRelationships, type Database } from '../src/index.js';
import { PgSchemas, skipWithoutPg } from './support/pg.js';

interface SourceTable {
  table: string;
  columns: { name: string; nullable: boolean }[];
  indexes: { name: string; columns: string[]; unique: boolean }[];
}
const MODELS = JSON.parse(readFileSync(new URL('./fixtures/models.json', import.meta.url), 'utf8')) as SourceTable[];

async function rows<T>(db: Database, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.orm.em.getConnection().execute(sql, params)) as T[];
}

const reportOf = (db: Database) => db.syncReport!;

describe('schema sync on PostgreSQL', function () {
  const schemas = new PgSchemas();
  let db: Database | undefined;
  let schema = '';
  before(async function () {
    skipWithoutPg(this, 'schema sync on PostgreSQL');
    db = await schemas.open();
    schema = db.config.postgresql.schema;
  });
  after(async function () {
    await db?.close();
    await schemas.dropAll();
  });

  it('creates the 26 tables in the configured schema', async function () {
    const tables = await rows<{ table_name: string }>(db!, `SELECT table_name FROM information_schema.tables WHERE table_schema = ?`, [schema]);
    expect(tables.map((t) => t.table_name).sort()).to.deep.equal(MODELS.map((m) => m.table).sort());
    expect(reportOf(db!).createdTables).to.have.length(26);
  });

  it('creates the columns with their order and nullability', async function () {
    const cols = await rows<{ table_name: string; column_name: string; is_nullable: string; ordinal_position: number }>(
      db!,
      `SELECT table_name, column_name, is_nullable, ordinal_position FROM information_schema.columns WHERE table_schema = ? ORDER BY table_name, ordinal_position`,
      [schema],
    );
    for (const m of MODELS) {
      const mine = cols.filter((c) => c.table_name === m.table);
      expect(mine.map((c) => c.column_name), m.table).to.deep.equal(m.columns.map((c) => c.name));
      expect(mine.map((c) => c.is_nullable === 'YES'), m.table).to.deep.equal(m.columns.map((c) => c.nullable));
    }
  });

  it('creates every index of models.json and botdb’s own', async function () {
    const names = new Set((await rows<{ indexname: string }>(db!, `SELECT indexname FROM pg_indexes WHERE schemaname = ?`, [schema])).map((i) => i.indexname));
    for (const name of [...MODELS.flatMap((m) => m.indexes.map((i) => i.name)), ...BOTDB_INDEXES.map((i) => i.name)]) expect(names.has(name), name).to.equal(true);
  });

  it('does nothing on a second start, and keeps columns another program added', async function () {
    await rows(db!, `ALTER TABLE "${schema}"."user_relationships" ADD COLUMN impression_text TEXT, ADD COLUMN attitude DOUBLE PRECISION NOT NULL DEFAULT 0.5`);
    await rows(db!, `ALTER TABLE "${schema}"."user_relationships" DROP COLUMN preference_keywords`);
    await db!.close();
    db = await schemas.open({}, schema);
    expect(reportOf(db)).to.deep.equal({ createdTables: [], addedColumns: ['user_relationships.preference_keywords'], createdIndexes: [], warnings: [] });
    const row = await db.create(UserRelationships, { user_id: 'pg-extra', preference_keywords: 'tea' });
    expect(row.preference_keywords).to.equal('tea');
    const extra = await rows<{ attitude: number }>(db, `SELECT attitude FROM "${schema}"."user_relationships" WHERE id = ?`, [row.id]);
    expect(extra[0]?.attitude).to.equal(0.5);
  });
});
