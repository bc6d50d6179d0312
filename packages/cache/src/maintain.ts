/**
 * Maintained answers: how one committed row change updates a cached ordered list or count in
 * place, the way a database's materialised view is kept on commit. Each function returns
 * whether the entry still equals what the database would answer; `false` means drop it.
 *
 * Lists are ordered by `normalizeOrderBy`'s terms, which end with the primary key: the order is
 * total, so a row has exactly one place and the maintained list equals the database's answer,
 * ties included. A list holds up to `limit + slack` rows: a delete inside the window then takes
 * the next row from the slack instead of forcing a refill.
 */
import { compareRows, matchesFilter, type Filter, type OrderTerm, type Row, type RowChange, type TimeZoneMode } from '@botdb/core';

/** What a maintained list keeps besides its served value. */
export interface ListState {
  readonly order: readonly OrderTerm[];
  /** Rows served (undefined: all). */
  readonly limit: number | undefined;
  /** Most rows held: `limit + slack`, or for an unlimited list a bound set at fill. */
  readonly maxRows: number;
  /** Held rows, sorted, each frozen. Never handed out: callers get `served()` copies. */
  rows: Row[];
  /** The held rows are every row that matches (the database returned fewer than asked). */
  complete: boolean;
}

/** Where `row` goes in `rows` (sorted by `order`): the first index whose row sorts after it. */
function placeOf(state: ListState, row: Row, zone: TimeZoneMode): number {
  let lo = 0;
  let hi = state.rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareRows(state.order, state.rows[mid]!, row, zone) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Applies one change to a list. Idempotent per row: the row is found by its key and removed
 * before its new version is placed, so a change the list already reflects changes nothing.
 */
export function maintainList(state: ListState, filter: Filter, change: RowChange, zone: TimeZoneMode): boolean {
  const pk = change.entity.primaryKey;
  const key = change.key ?? change.after?.[pk] ?? change.before?.[pk];
  if (key === undefined) return false;
  const rows = state.rows;
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]![pk] === key) {
      rows.splice(i, 1);
      break;
    }
  }
  const after = change.after;
  if (after !== undefined && matchesFilter(filter, after, zone)) {
    const at = placeOf(state, after, zone);
    // Past the last held row of an incomplete list: its place is among rows not held.
    if (state.complete || at < rows.length) {
      rows.splice(at, 0, Object.freeze({ ...after }));
      if (rows.length > state.maxRows) {
        if (state.limit === undefined) return false; // an unlimited list outgrew its size estimate
        rows.length = state.maxRows;
        state.complete = false;
      }
    }
  }
  // An incomplete list with fewer rows than it serves does not know the next row.
  return state.complete || state.limit === undefined || rows.length >= state.limit;
}

/** The value a list serves: its first `limit` rows, frozen (a new array: earlier ones were handed out). */
export function served(state: ListState): readonly Row[] {
  const n = state.limit === undefined ? state.rows.length : Math.min(state.limit, state.rows.length);
  return Object.freeze(state.rows.slice(0, n));
}

/** How a count moves with one change: +1 when a row enters the filter, -1 when one leaves. */
export function countDelta(filter: Filter, change: RowChange, zone: TimeZoneMode): number {
  const was = change.before !== undefined && matchesFilter(filter, change.before, zone);
  const is = change.after !== undefined && matchesFilter(filter, change.after, zone);
  return (is ? 1 : 0) - (was ? 1 : 0);
}
