/**
 * The rows a bot writes, built the way the Python bot fills them. Shared by the botdb turn, the
 * seeding, and the bench's hand-written MikroORM turn, so every implementation writes the same data.
 */
import type { ChatStreamsRow, EmojiRow, LLMUsageRow, MessagesRow, PersonInfoRow } from '@botdb/core';
import { PLATFORM, type MessageEvent, type SimChat, type SimEmoji, type SimPerson } from './world.js';

/** The chat_streams row of a chat, as the bot creates it on first contact. */
export function chatStreamRow(chat: SimChat, now: number): Partial<ChatStreamsRow> {
  const first = chat.members[0]!;
  return {
    stream_id: chat.streamId,
    create_time: chat.createTime,
    last_active_time: now,
    platform: PLATFORM,
    group_platform: chat.kind === 'group' ? PLATFORM : null,
    group_id: chat.groupId,
    group_name: chat.groupName,
    user_platform: PLATFORM,
    user_id: first.userId,
    user_nickname: first.nickname,
    message_count: 0,
    reply_count: 0,
    action_count: 0,
  };
}

/** The person_info row of a person. */
export function personRow(person: SimPerson, now: number): Partial<PersonInfoRow> {
  return {
    person_id: person.personId,
    person_name: person.nickname,
    platform: PLATFORM,
    user_id: person.userId,
    nickname: person.nickname,
    know_times: 1,
    know_since: now,
    last_know: now,
  };
}

/** The emoji row of a registered emoji. */
export function emojiRow(emoji: SimEmoji, now: number): Partial<EmojiRow> {
  return {
    full_path: emoji.path,
    format: 'png',
    emoji_hash: emoji.hash,
    description: `a ${emoji.emotion} face`,
    emotion: emoji.emotion,
    is_registered: true,
    record_time: now,
    register_time: now,
  };
}

/** What a message row needs to know of its chat stream (from the row the turn read). */
export interface StreamInfo {
  readonly create_time: number;
  readonly last_active_time: number;
}

/** The messages row of an incoming message. */
export function messageRow(
  chat: SimChat,
  sender: SimPerson,
  messageId: string,
  text: string,
  time: number,
  stream: StreamInfo,
): Partial<MessagesRow> {
  const group = chat.kind === 'group';
  return {
    message_id: messageId,
    time,
    chat_id: chat.streamId,
    chat_info_stream_id: chat.streamId,
    chat_info_platform: PLATFORM,
    chat_info_user_platform: PLATFORM,
    chat_info_user_id: sender.userId,
    chat_info_user_nickname: sender.nickname,
    chat_info_group_platform: group ? PLATFORM : null,
    chat_info_group_id: chat.groupId,
    chat_info_group_name: chat.groupName,
    chat_info_create_time: stream.create_time,
    chat_info_last_active_time: stream.last_active_time,
    user_platform: PLATFORM,
    user_id: sender.userId,
    user_nickname: sender.nickname,
    processed_plain_text: text,
    display_message: text,
  };
}

/** The messages row of an incoming message event. */
export function eventMessageRow(ev: MessageEvent, time: number, stream: StreamInfo): Partial<MessagesRow> {
  return messageRow(ev.chat, ev.sender, ev.messageId, ev.text, time, stream);
}

/** The llm_usage row of the bot's reply to `ev`. */
export function llmUsageRow(ev: MessageEvent): Partial<LLMUsageRow> {
  const total = ev.promptTokens + ev.completionTokens;
  return {
    model_name: 'sim-chat-model',
    model_assign_name: 'replyer',
    model_api_provider: 'sim',
    user_id: ev.sender.userId,
    request_type: 'chat.replyer',
    endpoint: '/chat/completions',
    prompt_tokens: ev.promptTokens,
    completion_tokens: ev.completionTokens,
    total_tokens: total,
    cost: total * 2e-6,
    time_cost: 0.4 + ev.completionTokens / 80,
    status: 'success',
  };
}

/** The `thinking_id` of the bot's reply to `ev`: also the action record's `action_id`. */
export function thinkingId(ev: MessageEvent): string {
  return `think-${ev.messageId}`;
}

/** The `action_data` of the bot's reply to `ev`. */
export function actionData(ev: MessageEvent): Record<string, unknown> {
  return { reply_to: ev.messageId, target: ev.sender.userId, length: ev.completionTokens };
}
