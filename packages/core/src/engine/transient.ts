import { ErrorCode } from '../errors.js';

/** Errors worth retrying: the database was busy or the connection went away; the write itself is fine. */
const TRANSIENT = [
  /SQLITE_BUSY/i,
  /SQLITE_LOCKED/i,
  /database is locked/i,
  /ECONNREFUSED/,
  /ECONNRESET/,
  /EPIPE/,
  /Connection terminated/i,
  /terminating connection/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /Client has encountered a connection error/i,
  /Connection is closed/i,
  /Timeout acquiring a connection/i,
  /\b57P0[123]\b/,
  /\b0800[136]\b/,
];

/**
 * Whether an error (or any error in its `cause` chain) is transient. A commit whose outcome is
 * unknown never is, whatever lost connection caused it: running it again could apply it twice.
 */
export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if ((e as { code?: unknown }).code === ErrorCode.COMMIT_UNKNOWN) return false;
    const msg = e instanceof Error ? `${e.message} ${(e as { code?: unknown }).code ?? ''}` : String(e);
    if (TRANSIENT.some((re) => re.test(msg))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
