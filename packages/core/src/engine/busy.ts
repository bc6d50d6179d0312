/**
 * Waiting for a SQLite lock another process holds, off the event loop. better-sqlite3 runs every
 * statement synchronously, so a connection's own `busy_timeout` would wait inside the call and
 * freeze the whole process (timers, sockets, `/metrics`) for as long as the other process holds
 * the lock. botdb's connections run with `busy_timeout` 0 instead and retry a busy statement
 * after a timer, until the configured `sqlite.busyTimeoutMs` has passed.
 */

/**
 * Pauses (ms) between attempts; the last repeats. Close to SQLite's own busy handler (1, 2, 5,
 * 10, 15, 20, 25, 25, 25, 50 ...) but capped at 25 ms, so a write waits at most about that long
 * after the lock was released.
 */
const BACKOFF_MS = [1, 2, 5, 10, 15, 20, 25] as const;

/** Whether `error` (or an error in its `cause` chain) is SQLite's "database is busy". */
export function isBusy(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs `attempt` until it does not fail with SQLITE_BUSY, pausing on a timer between tries; after
 * `timeoutMs` the last busy error is thrown, as a `busy_timeout` of that length would have.
 */
export async function retryWhileBusy<T>(attempt: () => T, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (let i = 0; ; i++) {
    try {
      return attempt();
    } catch (e) {
      const left = deadline - performance.now();
      if (!isBusy(e) || left <= 0) throw e;
      await new Promise((r) => setTimeout(r, Math.min(left, BACKOFF_MS[Math.min(i, BACKOFF_MS.length - 1)]!)));
    }
  }
}
