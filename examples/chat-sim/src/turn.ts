/**
 * One chat turn on botdb: what a bot does for every incoming message, written the way an
 * application calls botdb (the data API and compat's `store_action_info`). The simulator and
 * the bench both run this function; nothing here knows which plugins are on.
 */
import { store_action_info } from '@botdb/compat';
import { ChatStreams, Emoji, LLMUsage, Messages, PersonInfo, type Database } from '@botdb/core';
import { actionData, eventMessageRow, llmUsageRow, thinkingId } from './world/rows.js';
import type { MessageEvent } from './world/world.js';

/** The operations of a turn, in the order a turn runs them. */
export const TURN_OPS = ['stream.get', 'person.get', 'message.insert', 'stream.update', 'recent.get', 'llm.insert', 'action.store', 'emoji.get'] as const;

/** One operation of a turn. */
export type TurnOp = (typeof TURN_OPS)[number];

/** Receives each operation's latency in milliseconds. */
export interface OpRecorder {
  record(op: string, ms: number): void;
}

/**
 * Writes acknowledged so far, per kind: a write counts once its promise resolved, which with
 * any plugin means it committed. The consistency check compares these with the database.
 */
export interface WriteCounts {
  messages: number;
  streamUpdates: number;
  llmUsage: number;
  actions: number;
}

/** Zeroed write counts. */
export function emptyWriteCounts(): WriteCounts {
  return { messages: 0, streamUpdates: 0, llmUsage: 0, actions: 0 };
}

/** Total acknowledged row writes. */
export function totalWrites(w: WriteCounts): number {
  return w.messages + w.streamUpdates + w.llmUsage + w.actions;
}

/** A turn implementation: handles one message, records op latencies and acknowledged writes. */
export type TurnFn = (ev: MessageEvent, rec: OpRecorder, writes: WriteCounts) => Promise<void>;

/** Settings and state of the botdb turn. */
export interface TurnOptions {
  /** How many recent messages to read. @default 20 */
  readonly recentLimit?: number;
  /**
   * Per chat stream, the lowest `message_count` the next read may return (what earlier turns
   * committed). Pass one map per run to check that no read is stale; omit to skip the check.
   */
  readonly floors?: Map<string, number>;
}

/** Thrown when a turn finds the database in a state the workload never produces. */
export class TurnError extends Error {
  override name = 'TurnError';
}

/**
 * Handles one incoming message on botdb:
 * 1. read the chat stream by `stream_id`, 2. read the sender's PersonInfo,
 * 3. insert the message, 4. update the stream's `last_active_time` and counters,
 * 5. read the chat's recent messages for context, and for some turns
 * 6. record the LLM call and 7. the action (`store_action_info`), 8. look up an emoji by hash.
 *
 * Turns of one chat must not overlap (a bot handles a chat's messages in order): the freshness
 * check compares step 1's read with what the chat's previous turn committed.
 */
export async function chatTurn(db: Database, ev: MessageEvent, rec: OpRecorder, writes: WriteCounts, options: TurnOptions = {}): Promise<void> {
  const recentLimit = options.recentLimit ?? 20;
  const floors = options.floors;
  const streamId = ev.chat.streamId;
  let t = performance.now();
  const stream = await db.get(ChatStreams, { filters: { stream_id: streamId }, single: true });
  let now = performance.now();
  rec.record('stream.get', now - t);
  if (stream === null) throw new TurnError(`chat stream ${streamId} is missing`);
  // Freshness: the previous turn of this chat committed its increment before this read began,
  // so the count must include it (a cache may never answer with older data).
  const floor = floors?.get(streamId);
  if (floor !== undefined && (stream.message_count ?? 0) < floor) {
    throw new TurnError(`stale read: chat stream ${streamId} has message_count ${stream.message_count}, but ${floor} were committed before the read`);
  }

  t = now;
  const person = await db.get(PersonInfo, { filters: { person_id: ev.sender.personId }, single: true });
  now = performance.now();
  rec.record('person.get', now - t);
  if (person === null) throw new TurnError(`person ${ev.sender.personId} is missing`);

  // The message and the stream's counters are independent writes: a bot issues them together
  // (and with the batch plugin they commit in one flush).
  const time = Date.now() / 1000;
  t = now;
  const [, updated] = await Promise.all([
    db.create(Messages, eventMessageRow(ev, time, stream)).then(() => {
      rec.record('message.insert', performance.now() - t);
      writes.messages++;
    }),
    db
      .update(
        ChatStreams,
        { stream_id: streamId },
        {
          last_active_time: time,
          message_count: { $inc: 1 },
          ...(ev.reply ? { reply_count: { $inc: 1 }, action_count: { $inc: 1 }, last_interaction_time: time, consecutive_no_reply: 0 } : { consecutive_no_reply: { $inc: 1 } }),
        },
      )
      .then((n) => {
        rec.record('stream.update', performance.now() - t);
        return n;
      }),
  ]);
  now = performance.now();
  if (updated !== 1) throw new TurnError(`updating chat stream ${streamId} touched ${updated} rows`);
  writes.streamUpdates++;
  floors?.set(streamId, (stream.message_count ?? 0) + 1);

  t = now;
  const recent = await db.get(Messages, { filters: { chat_id: streamId }, orderBy: '-time', limit: recentLimit });
  now = performance.now();
  rec.record('recent.get', now - t);
  // Read-your-writes: the message this turn wrote must be in its own context.
  if (!recent.some((m) => m.message_id === ev.messageId)) throw new TurnError(`recent messages of ${streamId} miss the message just written (${ev.messageId})`);

  if (ev.reply) {
    // The LLM call's record and the action record are independent too.
    t = now;
    const [, action] = await Promise.all([
      db.create(LLMUsage, llmUsageRow(ev)).then(() => {
        rec.record('llm.insert', performance.now() - t);
        writes.llmUsage++;
      }),
      store_action_info({
        chat_stream: { stream_id: streamId, platform: stream.platform },
        action_name: 'reply',
        thinking_id: thinkingId(ev),
        action_data: actionData(ev),
        action_done: true,
        action_build_into_prompt: false,
        action_prompt_display: `replied to ${ev.sender.nickname}`,
      }).then((a) => {
        rec.record('action.store', performance.now() - t);
        return a;
      }),
    ]);
    now = performance.now();
    if (action === null) throw new TurnError(`store_action_info failed for ${ev.messageId}`);
    writes.actions++;
  }

  if (ev.emoji !== null) {
    t = now;
    const emoji = await db.get(Emoji, { filters: { emoji_hash: ev.emoji.hash }, single: true });
    now = performance.now();
    rec.record('emoji.get', now - t);
    if (emoji === null) throw new TurnError(`emoji ${ev.emoji.hash} is missing`);
  }
}
