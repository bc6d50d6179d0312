/**
 * The plain-MikroORM baseline: what an application without botdb writes. Its own MikroORM
 * instance on the same entity definitions (the same tables and column types), no botdb
 * EntityManager, subscribers or hooks; a fork per unit of work, as MikroORM's docs prescribe.
 */
import { ActionRecords, ChatStreams, Emoji, LLMUsage, Messages, PersonInfo } from '@botdb/core';
import { actionData, eventMessageRow, isTransactionControl, llmUsageRow, thinkingId, type MessageEvent, type OpRecorder, type WriteCounts } from '@botdb/example-chat-sim';
import { DefaultLogger, MikroORM, QueryOrder, type LogContext, type LoggerOptions, type Options } from '@mikro-orm/core';
import type { Fixture } from '../targets.js';
import { SQLITE_PRAGMAS } from './raw.js';

/** Counts the data statements MikroORM runs (transaction control excluded, as for botdb). */
export interface StatementCounter {
  total: number;
}

class CountingLogger extends DefaultLogger {
  constructor(
    options: LoggerOptions,
    private readonly counter: StatementCounter,
  ) {
    super(options);
  }

  override logQuery(context: { query: string } & LogContext): void {
    super.logQuery(context);
    if (!isTransactionControl(context.query)) this.counter.total++;
  }
}

/** A plain MikroORM instance on a fixture. */
export interface PlainOrm {
  readonly orm: MikroORM;
  readonly statements: StatementCounter;
  close(): Promise<void>;
}

/** Opens MikroORM on the fixture's database with the entities a turn uses. */
export async function openMikroOrm(f: Fixture): Promise<PlainOrm> {
  const statements: StatementCounter = { total: 0 };
  const common: Partial<Options> = {
    entities: [ChatStreams, PersonInfo, Messages, LLMUsage, ActionRecords, Emoji],
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
    loggerFactory: (options) => new CountingLogger(options, statements),
  };
  let orm: MikroORM;
  if (f.dialect === 'sqlite') {
    const { BetterSqliteDriver } = await import('@mikro-orm/better-sqlite');
    orm = await MikroORM.init({
      ...common,
      driver: BetterSqliteDriver,
      dbName: f.file!,
      // The same pragmas as botdb and the raw driver: equal durability, so only the code differs.
      pool: {
        afterCreate: (conn: { exec: (sql: string) => void }, done: (err: Error | null, conn: unknown) => void) => {
          for (const p of SQLITE_PRAGMAS) conn.exec(`PRAGMA ${p}`);
          done(null, conn);
        },
      } as Options['pool'],
    });
  } else {
    const { PostgreSqlDriver } = await import('@mikro-orm/postgresql');
    orm = await MikroORM.init({ ...common, driver: PostgreSqlDriver, clientUrl: f.pgUrl!, schema: f.schema!, pool: { min: 0, max: 10 } });
  }
  return { orm, statements, close: () => orm.close(true) };
}

/**
 * The chat turn as a MikroORM user writes it: a fork per message, `findOne`s, changes persisted
 * with one flush per step (idiomatic unit of work: the message insert and the stream update go
 * in one flush, the LLM row and the action in another), `find` for the context. Same reads and
 * writes as botdb's `chatTurn`, same rows.
 */
export async function mikroOrmTurn(orm: MikroORM, ev: MessageEvent, rec: OpRecorder, writes: WriteCounts, recentLimit = 20): Promise<void> {
  const em = orm.em.fork();
  const streamId = ev.chat.streamId;
  let t = performance.now();
  const stream = await em.findOne(ChatStreams, { stream_id: streamId });
  let now = performance.now();
  rec.record('stream.get', now - t);
  if (stream === null) throw new Error(`chat stream ${streamId} is missing`);

  t = now;
  const person = await em.findOne(PersonInfo, { person_id: ev.sender.personId });
  now = performance.now();
  rec.record('person.get', now - t);
  if (person === null) throw new Error(`person ${ev.sender.personId} is missing`);

  const time = Date.now() / 1000;
  em.create(Messages, eventMessageRow(ev, time, stream) as never);
  stream.last_active_time = time;
  stream.message_count = (stream.message_count ?? 0) + 1;
  if (ev.reply) {
    stream.reply_count = (stream.reply_count ?? 0) + 1;
    stream.action_count = (stream.action_count ?? 0) + 1;
    stream.last_interaction_time = time;
    stream.consecutive_no_reply = 0;
  } else {
    stream.consecutive_no_reply = (stream.consecutive_no_reply ?? 0) + 1;
  }
  t = now;
  await em.flush();
  now = performance.now();
  rec.record('flush (message + stream)', now - t);
  writes.messages++;
  writes.streamUpdates++;

  t = now;
  const recent = await em.find(Messages, { chat_id: streamId }, { orderBy: { time: QueryOrder.DESC }, limit: recentLimit });
  now = performance.now();
  rec.record('recent.get', now - t);
  if (!recent.some((m) => m.message_id === ev.messageId)) throw new Error(`recent messages of ${streamId} miss ${ev.messageId}`);

  if (ev.reply) {
    t = now;
    em.create(LLMUsage, llmUsageRow(ev) as never);
    // store_action_info's semantics: upsert by action_id.
    const actionId = thinkingId(ev);
    const found = await em.findOne(ActionRecords, { action_id: actionId });
    const record = {
      action_id: actionId,
      time: Date.now() / 1000,
      action_name: 'reply',
      action_data: JSON.stringify(actionData(ev)),
      action_done: true,
      action_build_into_prompt: false,
      action_prompt_display: `replied to ${ev.sender.nickname}`,
      chat_id: streamId,
      chat_info_stream_id: streamId,
      chat_info_platform: stream.platform,
    };
    if (found) em.assign(found, record);
    else em.create(ActionRecords, record as never);
    await em.flush();
    now = performance.now();
    rec.record('flush (llm + action)', now - t);
    writes.llmUsage++;
    writes.actions++;
  }

  if (ev.emoji !== null) {
    t = now;
    const emoji = await em.findOne(Emoji, { emoji_hash: ev.emoji.hash });
    now = performance.now();
    rec.record('emoji.get', now - t);
    if (emoji === null) throw new Error(`emoji ${ev.emoji.hash} is missing`);
  }
}
