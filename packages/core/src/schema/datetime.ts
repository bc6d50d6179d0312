/**
 * Naive DateTime text, the way the Python bot stores it: `YYYY-MM-DD HH:MM:SS.ffffff`.
 *
 * JavaScript `Date`s carry milliseconds, so a value read from the database keeps the first three
 * fraction digits; the last three (microseconds) are dropped. A `Date` written by botdb is stored
 * with `000` microseconds. Filters and data also accept the naive text itself (or the ISO form
 * with a `T`), which reaches the database with all six digits.
 */

/** `local`: naive times are wall-clock times of this process; `utc`: they are UTC. */
export type TimeZoneMode = 'local' | 'utc';

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Formats a Date as naive text with six fraction digits. */
export function formatNaive(date: Date, zone: TimeZoneMode): string {
  const utc = zone === 'utc';
  const y = utc ? date.getUTCFullYear() : date.getFullYear();
  const mo = utc ? date.getUTCMonth() : date.getMonth();
  const d = utc ? date.getUTCDate() : date.getDate();
  const h = utc ? date.getUTCHours() : date.getHours();
  const mi = utc ? date.getUTCMinutes() : date.getMinutes();
  const s = utc ? date.getUTCSeconds() : date.getSeconds();
  const ms = utc ? date.getUTCMilliseconds() : date.getMilliseconds();
  return `${pad(y, 4)}-${pad(mo + 1, 2)}-${pad(d, 2)} ${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}000`;
}

/** Normalises naive text (space or `T`, 0-6 fraction digits) to the six-digit stored form, or null. */
export function normalizeNaive(text: string): string | null {
  const m = NAIVE.exec(text);
  if (!m) return null;
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}.${(m[7] ?? '').padEnd(6, '0')}`;
}

/** Parses naive text into a Date (microseconds truncated to milliseconds), or null if malformed. */
export function parseNaive(text: string, zone: TimeZoneMode): Date | null {
  const m = NAIVE.exec(text);
  if (!m) return null;
  const ms = Number((m[7] ?? '').padEnd(6, '0').slice(0, 3));
  const parts = [Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms] as const;
  const date = zone === 'utc' ? new Date(Date.UTC(...parts)) : new Date(...parts);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Microseconds since the epoch of a DateTime value, for ordering and comparing in memory
 * exactly as the database compares the stored text.
 */
export function naiveMicros(value: Date | string, zone: TimeZoneMode): number {
  if (value instanceof Date) return value.getTime() * 1000;
  const norm = normalizeNaive(value);
  const date = norm === null ? null : parseNaive(norm, zone);
  if (norm === null || date === null) return Number.NaN;
  return date.getTime() * 1000 + Number(norm.slice(-3));
}
