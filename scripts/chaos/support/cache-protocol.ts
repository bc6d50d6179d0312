/** Messages between the Redis scenario and its peer process. */
export type PeerRequest = { id: number; op: 'get'; streamId: string } | { id: number; op: 'update'; streamId: string; value: number };

/** `value` is the message_count read or written; `error` the code of a failed call. */
export interface PeerReply {
  id: number;
  value?: number;
  error?: string;
  ms: number;
}
