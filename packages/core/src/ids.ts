/**
 * The identifiers the Python bot derives, computed identically, so that botdb and the Python
 * bot can share one database.
 */
import { createHash } from 'node:crypto';

/** The chat a stream belongs to: a group, or a private chat with one user. */
export type ChatTarget =
  | { readonly platform: string; readonly groupId: string | number; readonly userId?: string | number }
  | { readonly platform: string; readonly groupId?: undefined | null; readonly userId: string | number };

/**
 * `chat_streams.stream_id`: hex SHA-256 of `"<platform>_<group_id>"` for a group chat, or of
 * `"<platform>_<user_id>_private"` for a private chat.
 */
export function chatStreamId(target: ChatTarget): string {
  const key =
    target.groupId !== undefined && target.groupId !== null
      ? `${target.platform}_${target.groupId}`
      : `${target.platform}_${target.userId}_private`;
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * `person_info.person_id`: hex MD5 of `"<platform>_<user_id>"`. A platform containing `-` uses
 * the part after the first `-`; a missing platform is `"unknown"`.
 */
export function personId(platform: string | null | undefined, userId: string | number): string {
  let p = platform === undefined || platform === null || platform === '' ? 'unknown' : platform;
  const dash = p.indexOf('-');
  if (dash >= 0) p = p.slice(dash + 1);
  return createHash('md5').update(`${p}_${userId}`, 'utf8').digest('hex');
}

/** The current time in microseconds since the epoch, as a decimal string. */
export function epochMicros(): string {
  return String(Math.trunc((performance.timeOrigin + performance.now()) * 1000));
}

/** `action_records.action_id`: the thinking id, or the current time in microseconds. */
export function actionId(thinkingId?: string | null): string {
  return thinkingId ? thinkingId : epochMicros();
}
