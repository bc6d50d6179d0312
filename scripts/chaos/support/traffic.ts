/**
 * Write traffic in this process: `writers` loops each creating messages through the data API
 * (so through the batch plugin when it is installed), recording which writes were acknowledged
 * and the codes of those that failed.
 */
import { Messages, type Database } from '../deps.js';
import { Codes, message, sleep } from '../scenario.js';

export interface Traffic {
  readonly acked: Set<string>;
  readonly failures: Codes;
  /** Slowest acknowledged write (ms). */
  readonly slowestMs: number;
  /** Stops issuing and waits for the writes in flight to settle. */
  stop(): Promise<void>;
}

export function startTraffic(db: Database, chat: string, writers = 16): Traffic {
  const acked = new Set<string>();
  const failures = new Codes();
  let slowestMs = 0;
  let stopping = false;
  let n = 0;
  const loops = Array.from({ length: writers }, async () => {
    while (!stopping) {
      const id = `${chat}-${++n}`;
      const start = performance.now();
      try {
        await db.create(Messages, message(chat, id, n));
        acked.add(id);
        slowestMs = Math.max(slowestMs, performance.now() - start);
      } catch (e) {
        failures.add(e);
        // A failing database should not be spun against.
        await sleep(20);
      }
    }
  });
  return {
    acked,
    failures,
    get slowestMs() {
      return slowestMs;
    },
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** Every message_id stored for `chat` (one entry per row, so copies show). */
export async function storedIds(db: Database, chat: string): Promise<string[]> {
  const rows = await db.get(Messages, { filters: { chat_id: chat } });
  return rows.map((r) => r.message_id as string);
}
