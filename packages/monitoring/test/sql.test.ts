import { describe, it } from 'mocha';
import { expect } from 'chai';
import { StatementClassifier, statementShape } from '../src/stats/sql.js';

describe('monitoring: statement shapes and labels', function () {
  it('replaces literals and placeholders with ?, keeps the first item of long lists', function () {
    const cases: [string, string][] = [
      [`SELECT "id", "stream_id", "create_time", "group_platform" FROM "chat_streams" WHERE "stream_id" = ? LIMIT 1`, 'SELECT "id", … FROM "chat_streams" WHERE "stream_id" = ? LIMIT ?'],
      [`select e0.* from "messages" as e0 where e0."chat_id" = 'abc''d' and e0.time > 12.5`, 'select e0.* from "messages" as e0 where e0."chat_id" = ? and e0.time > ?'],
      [`INSERT INTO "messages" ("a", "b") VALUES (?, ?), (?, ?), (?, ?) RETURNING *`, 'INSERT INTO "messages" ("a", "b") VALUES (?, ?), … RETURNING *'],
      [`DELETE FROM t WHERE id IN (?, ?, ?, ?, ?)`, 'DELETE FROM t WHERE id IN (?, …)'],
      [`select * from x where a = $1 and b = $2 and blob = X'0aff'`, 'select * from x where a = ? and b = ? and blob = ?'],
      ['select\n  t1.a,\n  t2.b\nfrom t1 join t2 on t1.id = t2.id', 'select t1.a, t2.b from t1 join t2 on t1.id = t2.id'],
    ];
    for (const [sql, shape] of cases) expect(statementShape(sql)).to.equal(shape);
  });

  it('cuts long statements at 500 characters', function () {
    const shape = statementShape(`select ${'x'.repeat(1000)}`);
    expect(shape).to.have.length(501);
    expect(shape.endsWith('…')).to.equal(true);
  });

  it('labels the verb and the entity of the table a statement names', function () {
    const c = new StatementClassifier();
    expect(c.classify('select `c0`.* from `chat_streams` as `c0`')).to.deep.equal({ verb: 'select', entity: 'ChatStreams' });
    expect(c.classify('insert into "public"."messages" ("a") values (?)')).to.deep.equal({ verb: 'insert', entity: 'Messages' });
    expect(c.classify('UPDATE "person_info" SET "x" = ?')).to.deep.equal({ verb: 'update', entity: 'PersonInfo' });
    expect(c.classify('delete from emoji where id = ?')).to.deep.equal({ verb: 'delete', entity: 'Emoji' });
    expect(c.classify('PRAGMA journal_mode = WAL')).to.deep.equal({ verb: 'other', entity: 'unknown' });
    expect(c.classify('select * from sqlite_master')).to.deep.equal({ verb: 'select', entity: 'unknown' });
    // An entity the caller knows wins.
    expect(c.classify('select 1', 'Messages')).to.deep.equal({ verb: 'select', entity: 'Messages' });
  });

  it('memoises by SQL text without growing without bound', function () {
    const c = new StatementClassifier();
    for (let i = 0; i < 5000; i++) expect(c.classify(`select * from messages where id = ${i}`).entity).to.equal('Messages');
    expect((c as unknown as { memo: Map<string, unknown> }).memo.size).to.be.at.most(1000);
  });
});
