/**
 * Whether a pending write could change what a read returns. Answers "no" only when it can
 * prove the row sets are disjoint (different values of one equality column); otherwise "yes",
 * and the read waits for the write.
 */
import { compareValues, matchesFilter, type Condition, type Filter, type Row, type TimeZoneMode } from '@botdb/core';

function values(c: Condition): readonly unknown[] | undefined {
  if (c.op === 'eq') return [c.value];
  if (c.op === 'in') return c.value as readonly unknown[];
  return undefined;
}

/** True if no row can satisfy both filters (an `eq`/`$in` on one column with no common value). */
export function disjoint(a: Filter, b: Filter, zone: TimeZoneMode, changedColumns: ReadonlySet<string> = new Set()): boolean {
  for (const ca of a) {
    if (changedColumns.has(ca.column.name)) continue;
    const va = values(ca);
    if (!va) continue;
    for (const cb of b) {
      if (cb.column.name !== ca.column.name) continue;
      const vb = values(cb);
      if (!vb) continue;
      const common = va.some((x) => x !== null && vb.some((y) => y !== null && compareValues(ca.column.kind, x, y, zone) === 0));
      if (!common) return true;
    }
  }
  return false;
}

/** Could inserting these rows change the read? */
export function createAffects(rows: readonly Row[], read: Filter, zone: TimeZoneMode): boolean {
  return rows.some((r) => matchesFilter(read, r, zone));
}

/**
 * Could an update (filter + data) change the read? Its rows keep the values of the columns it
 * does not set, so a disjointness on such a column holds before and after the update.
 */
export function updateAffects(filter: Filter, data: Row, read: Filter, zone: TimeZoneMode): boolean {
  return !disjoint(filter, read, zone, new Set(Object.keys(data)));
}

/**
 * Could a save (update the row whose `keyField` is `keyValue`, else insert `data`) change the
 * read? Only provably not when the saved row keeps `keyValue` in `keyField` either way (the data
 * sets it to that value) and the read asks for other values of that column.
 */
export function saveAffects(save: { readonly filter: Filter; readonly data: Row; readonly keyField?: string }, read: Filter, zone: TimeZoneMode): boolean {
  const key = save.filter[0];
  if (save.keyField === undefined || key === undefined) return true;
  const set = save.data[save.keyField];
  if (set === undefined || set === null || compareValues(key.column.kind, set, key.value, zone) !== 0) return true;
  return !disjoint(save.filter, read, zone);
}

/** Could a delete change the read? */
export function deleteAffects(filter: Filter, read: Filter, zone: TimeZoneMode): boolean {
  return !disjoint(filter, read, zone);
}
