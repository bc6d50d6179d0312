/** Row factories for these tests; the database helpers are @botdb/test-suite's. */
export { TestDatabases as Databases, recordStatements, prng, skipUnless, PG_URL, REDIS_URL } from '@botdb/test-suite';

export function message(chat: string, n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    message_id: `m-${chat}-${n}`, time: n, chat_id: chat, chat_info_stream_id: chat, chat_info_platform: 'qq',
    chat_info_user_platform: 'qq', chat_info_user_id: 'u', chat_info_user_nickname: 'n', chat_info_create_time: 1,
    chat_info_last_active_time: 1, processed_plain_text: `t${n}`, ...extra,
  };
}

export function action(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action_id: id, time: 1, action_name: 'reply', action_data: '{}', action_done: true, action_build_into_prompt: false,
    action_prompt_display: '', chat_id: 'c', chat_info_stream_id: 'c', chat_info_platform: 'qq', ...extra,
  };
}

export function stream(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { stream_id: id, create_time: 1, last_active_time: 1, platform: 'qq', user_platform: 'qq', user_id: `u-${id}`, user_nickname: 'n', ...extra };
}
