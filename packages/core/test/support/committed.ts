/**
 * `committed` sees every write exactly once, after the outermost commit, and never on rollback,
 * whichever path the write took. Shared by the SQLite and PostgreSQL test files.
 */
import { it } from 'mocha';
import { expect } from 'chai';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { ChatStreams, Memory, type ChatStreamsRow, type Database, type MemoryRow, type Row } from '../../src/index.js';
import { describeChange, type RecorderPlugin } from './recorder.js';

let streams = 0;

/** A valid `chat_streams` row with a fresh stream id. */
export function stream(overrides: Partial<ChatStreamsRow> = {}): Partial<ChatStreamsRow> {
  streams += 1;
  return {
    stream_id: `s-${process.pid}-${Date.now().toString(36)}-${streams}`,
    create_time: 1,
    last_active_time: 2,
    platform: 'qq',
    user_platform: 'qq',
    user_id: 'u1',
    user_nickname: 'nick',
    ...overrides,
  };
}

/** Registers the tests; `get()` returns the database and its recorder (set up by the caller). */
export function committedTests(get: () => { db: Database; recorder: RecorderPlugin }): void {
  const db = () => get().db;
  const rec = () => get().recorder;
  const fork = () => db().orm.em.fork() as SqlEntityManager;

  it('records nothing while idle', function () {
    expect(rec().take()).to.deep.equal([]);
  });

  // ---- the data API ------------------------------------------------------------------------

  it('data API create: one commit with the inserted row', async function () {
    const row = await db().create(ChatStreams, stream());
    const commits = rec().takeChanges();
    expect(commits).to.have.length(1);
    expect(commits[0]).to.have.length(1);
    const change = commits[0]![0]!;
    expect(change.kind).to.equal('insert');
    expect(change.entity.name).to.equal('ChatStreams');
    expect(change.key).to.equal(row.id);
    expect(change.after).to.deep.equal(row);
    expect(change.before).to.equal(undefined);
  });

  it('data API createMany: one commit with every inserted row', async function () {
    const rows = await db().createMany(ChatStreams, [stream(), stream(), stream()]);
    expect(rec().take()).to.deep.equal([rows.map((r) => `ChatStreams:insert:${r.id}`)]);
  });

  it('data API update: one commit with before and after of each row', async function () {
    const [a, b] = await db().createMany(ChatStreams, [stream({ user_id: 'upd' }), stream({ user_id: 'upd' })]);
    rec().take();
    expect(await db().update(ChatStreams, { id: { $in: [a!.id, b!.id] } }, { user_nickname: 'changed' })).to.equal(2);
    const commits = rec().takeChanges();
    expect(commits).to.have.length(1);
    expect(commits[0]!.map((c) => `${c.kind}:${c.key}`).sort()).to.deep.equal([`update:${a!.id}`, `update:${b!.id}`].sort());
    for (const c of commits[0]!) {
      expect(c.before?.user_nickname).to.equal('nick');
      expect(c.after?.user_nickname).to.equal('changed');
      expect(c.after?.id).to.equal(c.key);
    }
  });

  it('data API update and delete that match nothing: no commit', async function () {
    expect(await db().update(ChatStreams, { stream_id: 'no-such-stream' }, { user_nickname: 'x' })).to.equal(0);
    expect(await db().delete(ChatStreams, { stream_id: 'no-such-stream' })).to.equal(0);
    expect(rec().take()).to.deep.equal([]);
  });

  it('data API delete: one commit with the deleted rows', async function () {
    const rows = await db().createMany(ChatStreams, [stream({ user_id: 'del' }), stream({ user_id: 'del' })]);
    rec().take();
    expect(await db().delete(ChatStreams, { id: { $in: rows.map((r) => r.id) } })).to.equal(2);
    const commits = rec().takeChanges();
    expect(commits).to.have.length(1);
    expect(commits[0]!.map((c) => c.kind)).to.deep.equal(['delete', 'delete']);
    expect(commits[0]!.map((c) => c.before).sort((x, y) => (x!.id as number) - (y!.id as number))).to.deep.equal(rows);
  });

  it('data API save: an update when the key matches, an insert when it does not', async function () {
    const row = await db().create(ChatStreams, stream());
    rec().take();
    const saved = await db().save(ChatStreams, { ...stream(), stream_id: row.stream_id, user_nickname: 'saved' }, { keyField: 'stream_id', keyValue: row.stream_id });
    expect(rec().take()).to.deep.equal([[`ChatStreams:update:${row.id}`]]);
    const fresh = stream();
    const inserted = await db().save(ChatStreams, fresh, { keyField: 'stream_id', keyValue: fresh.stream_id });
    expect(rec().take()).to.deep.equal([[`ChatStreams:insert:${inserted.id}`]]);
    expect(saved.user_nickname).to.equal('saved');
  });

  it('data API query(): create, update and delete each commit once', async function () {
    const created = (await db().query(ChatStreams, { type: 'create', data: stream() })) as Row;
    await db().query(ChatStreams, { type: 'update', filters: { id: created.id }, data: { user_nickname: 'q' } });
    await db().query(ChatStreams, { type: 'delete', filters: { id: created.id } });
    expect(rec().take()).to.deep.equal([[`ChatStreams:insert:${created.id}`], [`ChatStreams:update:${created.id}`], [`ChatStreams:delete:${created.id}`]]);
  });

  it('reads commit nothing', async function () {
    await db().get(ChatStreams, { limit: 3 });
    await db().count(ChatStreams);
    await db().session(async (em) => {
      await em.find(ChatStreams, {}, { limit: 2 });
      await db().get(ChatStreams, { limit: 1 });
    });
    expect(rec().take()).to.deep.equal([]);
  });

  // ---- sessions and the unit of work -------------------------------------------------------

  it('session with em.create and flush: one commit, only after the session commits', async function () {
    let duringSession: string[][] = [];
    const entity = await db().session(async (em) => {
      const e = em.create(ChatStreams, stream() as never) as unknown as ChatStreamsRow;
      await em.flush();
      duringSession = rec().take();
      return e;
    });
    expect(duringSession).to.deep.equal([]);
    const commits = rec().takeChanges();
    expect(commits).to.have.length(1);
    expect(commits[0]).to.have.length(1);
    const change = commits[0]![0]!;
    expect(change.kind).to.equal('insert');
    expect(change.key).to.equal(entity.id);
    expect(change.after?.stream_id).to.equal(entity.stream_id);
    // The change carries the row as it was written, defaults included.
    expect(change.after?.energy_value).to.equal(5);
    expect(change.after).to.deep.equal(await db().get(ChatStreams, { filters: { id: entity.id }, single: true }));
  });

  it('session with em.create and no flush: the implicit flush on session end is recorded', async function () {
    const data = stream();
    await db().session(async (em) => {
      em.create(ChatStreams, data as never);
    });
    const row = await db().get(ChatStreams, { filters: { stream_id: data.stream_id }, single: true });
    expect(row).to.not.equal(null);
    expect(rec().take()).to.deep.equal([[`ChatStreams:insert:${row!.id}`]]);
  });

  it('session changing a managed entity: an update with before and after', async function () {
    const row = await db().create(ChatStreams, stream({ user_nickname: 'old' }));
    rec().take();
    await db().session(async (em) => {
      const e = (await em.findOneOrFail(ChatStreams, { id: row.id } as never)) as unknown as ChatStreamsRow;
      e.user_nickname = 'new';
    });
    const commits = rec().takeChanges();
    expect(commits).to.have.length(1);
    expect(commits[0]!.map((c) => `${c.kind}:${c.key}`)).to.deep.equal([`update:${row.id}`]);
    expect(commits[0]![0]!.before?.user_nickname).to.equal('old');
    expect(commits[0]![0]!.after?.user_nickname).to.equal('new');
  });

  it('session with em.remove: a delete with the row before', async function () {
    const row = await db().create(ChatStreams, stream());
    rec().take();
    await db().session(async (em) => {
      const e = await em.findOneOrFail(ChatStreams, { id: row.id } as never);
      em.remove(e);
      await em.flush();
    });
    const commits = rec().takeChanges();
    expect(commits.map((c) => c.map((x) => `${x.kind}:${x.key}`))).to.deep.equal([[`delete:${row.id}`]]);
    expect(commits[0]![0]!.before?.stream_id).to.equal(row.stream_id);
    expect(await db().count(ChatStreams, { id: row.id })).to.equal(0);
  });

  it('session mixing the data API and the unit of work: one commit with both', async function () {
    let apiId = 0;
    let emId = 0;
    await db().session(async (em) => {
      apiId = (await db().create(ChatStreams, stream())).id;
      const e = em.create(ChatStreams, stream() as never) as unknown as ChatStreamsRow;
      await em.flush();
      emId = e.id;
    });
    expect(rec().take()).to.deep.equal([[`ChatStreams:insert:${apiId}`, `ChatStreams:insert:${emId}`]]);
  });

  it('session that throws: nothing is recorded, whatever the write path', async function () {
    const row = await db().create(ChatStreams, stream());
    rec().take();
    let failed = false;
    try {
      await db().session(async (em) => {
        await db().create(ChatStreams, stream());
        await db().update(ChatStreams, { id: row.id }, { user_nickname: 'rolled back' });
        em.create(ChatStreams, stream() as never);
        await em.flush();
        await em.nativeUpdate(ChatStreams, { id: row.id } as never, { user_nickname: 'native' } as never);
        await em.insert(ChatStreams, stream() as never);
        await em.createQueryBuilder(ChatStreams).update({ user_nickname: 'qb' } as never).where({ id: row.id }).execute();
        await em.nativeDelete(ChatStreams, { id: row.id } as never);
        throw new Error('roll back');
      });
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    expect(rec().take()).to.deep.equal([]);
    expect((await db().get(ChatStreams, { filters: { id: row.id }, single: true }))?.user_nickname).to.equal('nick');
  });

  it('nested sessions: one commit after the outermost, without the inner session that threw', async function () {
    const ids: number[] = [];
    let afterInner: string[][] = [];
    await db().session(async () => {
      ids.push((await db().create(ChatStreams, stream())).id);
      await db().session(async (em) => {
        const e = em.create(ChatStreams, stream() as never) as unknown as ChatStreamsRow;
        await em.flush();
        ids.push(e.id);
      });
      afterInner = rec().take();
      try {
        await db().session(async () => {
          await db().create(ChatStreams, stream());
          throw new Error('inner');
        });
      } catch {
        // expected
      }
      ids.push((await db().create(ChatStreams, stream())).id);
    });
    expect(afterInner).to.deep.equal([]);
    expect(rec().take()).to.deep.equal([ids.map((id) => `ChatStreams:insert:${id}`)]);
  });

  it('nested sessions: nothing when the outer session throws after an inner one committed', async function () {
    try {
      await db().session(async () => {
        await db().session(async () => {
          await db().create(ChatStreams, stream());
        });
        throw new Error('outer');
      });
    } catch {
      // expected
    }
    expect(rec().take()).to.deep.equal([]);
  });

  // ---- writes that bypass the unit of work -------------------------------------------------

  it('em.nativeUpdate in a session: updates with before and after', async function () {
    const row = await db().create(ChatStreams, stream({ user_nickname: 'before' }));
    rec().take();
    await db().session(async (em) => {
      expect(await em.nativeUpdate(ChatStreams, { id: row.id } as never, { user_nickname: 'after' } as never)).to.equal(1);
    });
    const commits = rec().takeChanges();
    expect(commits.map((c) => c.map((x) => `${x.kind}:${x.key}`))).to.deep.equal([[`update:${row.id}`]]);
    expect(commits[0]![0]!.before?.user_nickname).to.equal('before');
    expect(commits[0]![0]!.after?.user_nickname).to.equal('after');
  });

  it('em.nativeUpdate outside a session: published once, right away', async function () {
    const row = await db().create(ChatStreams, stream());
    rec().take();
    await fork().nativeUpdate(ChatStreams, { id: row.id } as never, { user_nickname: 'outside' } as never);
    expect(rec().take()).to.deep.equal([[`ChatStreams:update:${row.id}`]]);
  });

  it('em.nativeDelete: deletes with the rows before', async function () {
    const rows = await db().createMany(ChatStreams, [stream({ user_id: 'nd' }), stream({ user_id: 'nd' })]);
    rec().take();
    await db().session(async (em) => {
      expect(await em.nativeDelete(ChatStreams, { id: { $in: rows.map((r) => r.id) } } as never)).to.equal(2);
    });
    const commits = rec().takeChanges();
    expect(commits).to.have.length(1);
    expect(commits[0]!.map((c) => `${c.kind}:${c.key}`).sort()).to.deep.equal(rows.map((r) => `delete:${r.id}`).sort());
    expect(commits[0]!.every((c) => c.before?.user_id === 'nd')).to.equal(true);
  });

  it('em.insert: an insert with its key and row', async function () {
    const data = stream();
    const key = await db().session(async (em) => em.insert(ChatStreams, data as never));
    const commits = rec().takeChanges();
    expect(commits.map((c) => c.map((x) => `${x.kind}:${x.key}`))).to.deep.equal([[`insert:${String(key)}`]]);
    expect(commits[0]![0]!.after?.stream_id).to.equal(data.stream_id);
    expect(commits[0]![0]!.after).to.deep.equal(await db().get(ChatStreams, { filters: { id: key as number }, single: true }));
  });

  // Regression: MikroORM returns one key for an insertMany of plain rows, and only that row
  // was reported; the others were missed by every cache.
  it('em.insertMany of plain rows: every inserted row is covered by the commit', async function () {
    const data = [stream(), stream(), stream()];
    await db().session(async (em) => {
      await em.insertMany(ChatStreams, data as never);
    });
    const ids = (await db().get(ChatStreams, { filters: { stream_id: { $in: data.map((d) => d.stream_id as string) } } })).map((r) => r.id);
    expect(ids).to.have.length(3);
    const commits = rec().takeChanges();
    expect(commits).to.have.length(1);
    const changes = commits[0]!;
    const bulk = changes.some((c) => c.kind === 'bulk' && c.entity.name === 'ChatStreams');
    const inserted = changes.filter((c) => c.kind === 'insert').map((c) => c.key);
    expect(bulk || ids.every((id) => inserted.includes(id)), `changes: ${changes.map(describeChange).join(', ')}`).to.equal(true);
    expect(inserted.every((k) => ids.includes(k as number))).to.equal(true);
  });

  it('em.insertMany of entities: an insert per row, with keys', async function () {
    let keys: unknown[] = [];
    await db().session(async (em) => {
      const entities = [stream(), stream()].map((d) => em.getEntityFactory().create(ChatStreams, d as never));
      keys = await em.insertMany(entities as never);
    });
    expect(keys).to.have.length(2);
    expect(rec().take()).to.deep.equal([keys.map((k) => `ChatStreams:insert:${String(k)}`)]);
  });

  it('em.insert outside a session: published once', async function () {
    const key = await fork().insert(ChatStreams, stream() as never);
    expect(rec().take()).to.deep.equal([[`ChatStreams:insert:${String(key)}`]]);
  });

  it('em.persist and flush outside a session: published once', async function () {
    const em = fork();
    const e = em.create(ChatStreams, stream() as never) as unknown as ChatStreamsRow;
    await em.flush();
    expect(rec().take()).to.deep.equal([[`ChatStreams:insert:${e.id}`]]);
  });

  it('QueryBuilder update: a bulk change of the entity', async function () {
    const row = await db().create(ChatStreams, stream());
    rec().take();
    await db().session(async (em) => {
      await em.createQueryBuilder(ChatStreams).update({ user_nickname: 'qb' } as never).where({ id: row.id }).execute();
    });
    expect(rec().take()).to.deep.equal([['ChatStreams:bulk']]);
    expect((await db().get(ChatStreams, { filters: { id: row.id }, single: true }))?.user_nickname).to.equal('qb');
  });

  it('QueryBuilder select: nothing', async function () {
    await db().session(async (em) => {
      await em.createQueryBuilder(ChatStreams).select('*').where({ id: 1 }).execute();
    });
    expect(rec().take()).to.deep.equal([]);
  });

  // Regression: changes made in a savepoint that rolled back were published with the outer
  // transaction, with `after` rows that never existed.
  it('em.transactional inside a session that throws: only the savepoint rolls back, and its changes are not published', async function () {
    const row = await db().create(ChatStreams, stream({ user_nickname: 'kept' }));
    rec().take();
    let outerId = 0;
    await db().session(async (em) => {
      outerId = (await db().create(ChatStreams, stream())).id;
      try {
        await em.transactional(async (inner) => {
          inner.create(ChatStreams, stream() as never);
          await inner.flush();
          await inner.nativeUpdate(ChatStreams, { id: row.id } as never, { user_nickname: 'phantom' } as never);
          await db().create(ChatStreams, stream());
          throw new Error('savepoint');
        });
      } catch {
        // expected
      }
    });
    expect(rec().take()).to.deep.equal([[`ChatStreams:insert:${outerId}`]]);
    expect((await db().get(ChatStreams, { filters: { id: row.id }, single: true }))?.user_nickname).to.equal('kept');
  });

  it('em.transactional inside a session that commits: its changes are published with the session', async function () {
    const ids: number[] = [];
    await db().session(async (em) => {
      await em.transactional(async (inner) => {
        const e = inner.create(ChatStreams, stream() as never) as unknown as ChatStreamsRow;
        await inner.flush();
        ids.push(e.id, (await db().create(ChatStreams, stream())).id);
      });
      expect(rec().take()).to.deep.equal([]);
    });
    expect(rec().take()).to.deep.equal([ids.map((id) => `ChatStreams:insert:${id}`)]);
  });

  it('nested em.transactional that throws inside a foreign transaction: not published', async function () {
    let kept = 0;
    await fork().transactional(async (em) => {
      const e = em.create(ChatStreams, stream() as never) as unknown as ChatStreamsRow;
      await em.flush();
      kept = e.id;
      try {
        await em.transactional(async (inner) => {
          inner.create(ChatStreams, stream() as never);
          await inner.flush();
          throw new Error('savepoint');
        });
      } catch {
        // expected
      }
    });
    expect(rec().take()).to.deep.equal([[`ChatStreams:insert:${kept}`]]);
  });

  it('data API calls inside em.transactional join its transaction', async function () {
    const data = stream();
    try {
      await fork().transactional(async () => {
        await db().create(ChatStreams, data);
        expect(await db().count(ChatStreams, { stream_id: data.stream_id })).to.equal(1);
        throw new Error('roll back');
      });
    } catch {
      // expected
    }
    expect(await db().count(ChatStreams, { stream_id: data.stream_id })).to.equal(0);
    expect(rec().take()).to.deep.equal([]);
  });

  it('em.upsert and em.upsertMany: bulk changes', async function () {
    const data = stream();
    await db().session(async (em) => {
      await em.upsert(ChatStreams, data as never);
    });
    expect(rec().take()).to.deep.equal([['ChatStreams:bulk']]);
    await fork().upsertMany(ChatStreams, [stream(), stream()] as never, { onConflictFields: ['stream_id'] as never });
    expect(rec().take()).to.deep.equal([['ChatStreams:bulk']]);
  });

  it('QueryBuilder insert and delete: bulk changes', async function () {
    const data = stream();
    await db().session(async (em) => {
      await em.createQueryBuilder(ChatStreams).insert(data as never).execute();
      await em.createQueryBuilder(ChatStreams).delete().where({ stream_id: data.stream_id }).execute();
    });
    expect(rec().take()).to.deep.equal([['ChatStreams:bulk', 'ChatStreams:bulk']]);
  });

  it('em.begin and em.commit: published once after commit; em.rollback: nothing', async function () {
    const row = await db().create(ChatStreams, stream());
    rec().take();
    const em = fork();
    await em.begin();
    await em.nativeUpdate(ChatStreams, { id: row.id } as never, { user_nickname: 'begun' } as never);
    expect(rec().take()).to.deep.equal([]);
    await em.commit();
    expect(rec().take()).to.deep.equal([[`ChatStreams:update:${row.id}`]]);
    const em2 = fork();
    await em2.begin();
    await em2.nativeUpdate(ChatStreams, { id: row.id } as never, { user_nickname: 'rolled back' } as never);
    await em2.rollback();
    expect(rec().take()).to.deep.equal([]);
    expect((await db().get(ChatStreams, { filters: { id: row.id }, single: true }))?.user_nickname).to.equal('begun');
  });

  it('prepare fires once, just before committed, with the same changes; never for a rollback', async function () {
    rec().takeEvents();
    const a = await db().create(ChatStreams, stream());
    let b = 0;
    await db().session(async (em) => {
      const e = em.create(ChatStreams, stream() as never) as unknown as ChatStreamsRow;
      await em.flush();
      b = e.id;
    });
    try {
      await db().session(async () => {
        await db().create(ChatStreams, stream());
        throw new Error('roll back');
      });
    } catch {
      // expected
    }
    expect(rec().takeEvents()).to.deep.equal([
      `prepare ChatStreams:insert:${a.id}`,
      `committed ChatStreams:insert:${a.id}`,
      `prepare ChatStreams:insert:${b}`,
      `committed ChatStreams:insert:${b}`,
    ]);
    rec().take();
  });

  it('em.transactional outside botdb sessions: published once after commit, nothing on rollback', async function () {
    const row = await db().create(ChatStreams, stream());
    rec().take();
    await fork().transactional(async (em) => {
      await em.nativeUpdate(ChatStreams, { id: row.id } as never, { user_nickname: 'tx' } as never);
      em.create(Memory, { memory_id: `m-${row.id}` } as never);
      await em.flush();
      expect(rec().take()).to.deep.equal([]);
    });
    const mem = (await db().get(Memory, { filters: { memory_id: `m-${row.id}` }, single: true })) as MemoryRow | null;
    expect(rec().take()).to.deep.equal([[`ChatStreams:update:${row.id}`, `Memory:insert:${mem?.id}`]]);
    try {
      await fork().transactional(async (em) => {
        await em.nativeUpdate(ChatStreams, { id: row.id } as never, { user_nickname: 'tx2' } as never);
        throw new Error('roll back');
      });
    } catch {
      // expected
    }
    expect(rec().take()).to.deep.equal([]);
  });
}
