/**
 * L1: the in-process LRU (lru-cache) plus an index of cached reads by their equality values,
 * so that a changed row finds the reads it can affect in O(changed rows), not O(cache size).
 */
import { LRUCache } from 'lru-cache';
import { matchesFilter, type Filter, type ReadContext, type Row, type RowChange, type TimeZoneMode } from '@botdb/core';
import { countDelta, maintainList, served, type ListState } from './maintain.js';
import { valueKey } from './keys.js';
import { PathIndex } from './paths.js';

/**
 * How an entry follows committed changes:
 * - `patch`: a single-row read without ORDER BY; an update of its own row is patched in.
 * - `list`: an ordered read; changes are placed into it (maintain.ts).
 * - `count`: a count; changes move it by one.
 * - `drop`: anything else; a change that can affect it drops it.
 */
export type Mode = 'patch' | 'list' | 'count' | 'drop';

/** One cached read. `value` is frozen: rows are shared by every caller that hits. */
export interface Entry {
  readonly key: string;
  readonly entity: string;
  readonly filter: Filter;
  value: readonly Row[] | number;
  readonly mode: Mode;
  /** Set for `list` entries. */
  readonly list?: ListState;
  readonly negative: boolean;
  /** The column this entry is indexed under, and its value keys; undefined = scanned. */
  readonly indexColumn: string | undefined;
  readonly indexValues: readonly string[];
  /** Uncommitted changes that affect it: while > 0 a hit is served as a miss. */
  pending: number;
  /** Where the path index holds it, if its read has a path. */
  path?: readonly unknown[];
  /** `{ value, source: 'l1' }`, made once per value: a hit allocates nothing for it. */
  hit?: { readonly value: readonly Row[] | number; readonly source: 'l1' };
}

// lru-cache's get() writes a status field into its options object: one shared object instead of
// a new `{}` per hit.
const GET_OPTIONS: LRUCache.GetOptions<string, Entry, unknown> = {};

/** Which side of the commit a change is seen from. */
export type Phase = 'prepare' | 'committed' | 'remote';

interface EntityIndex {
  readonly all: Set<string>;
  readonly byColumn: Map<string, Map<string, Set<string>>>;
  readonly scanned: Set<string>;
}

export interface L1Options {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly zone: TimeZoneMode;
  readonly onEvict: () => void;
}

/** Rough byte size of one row. */
export function rowBytes(row: Row): number {
  let bytes = 64;
  // for-in, not Object.values: no array per row on every fill.
  for (const k in row) {
    const v = row[k];
    bytes += 16 + k.length * 2 + (typeof v === 'string' ? v.length * 2 : 8);
  }
  return bytes;
}

/** Rough byte size of a value. */
export function estimateBytes(value: readonly Row[] | number): number {
  if (typeof value === 'number') return 64;
  let bytes = 64;
  for (const row of value) bytes += rowBytes(row);
  return bytes;
}

/**
 * Everything an entry holds, for the LRU's byte bound: its key (which spells out the filter's
 * values; held twice, by the LRU's map and the entity index), its index keys and its rows; a
 * list as if it held all the rows it may hold.
 */
export function entryBytes(entry: Entry): number {
  let bytes = 256 + entry.key.length * 4;
  for (const v of entry.indexValues) bytes += 64 + v.length * 2;
  const list = entry.list;
  if (list !== undefined) {
    const perRow = list.rows.length === 0 ? 512 : (estimateBytes(list.rows) - 64) / list.rows.length;
    return Math.ceil(bytes + 64 + perRow * list.maxRows);
  }
  return bytes + estimateBytes(entry.value);
}

export class L1Store {
  private readonly lru: LRUCache<string, Entry>;
  private readonly indexes = new Map<string, EntityIndex>();
  private readonly paths = new PathIndex<Entry>();
  bytes = 0;

  constructor(private readonly options: L1Options) {
    this.lru = new LRUCache<string, Entry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => entryBytes(entry),
      dispose: (entry, _key, reason) => {
        this.unindex(entry);
        if (entry.path) this.paths.delete(entry.path, entry);
        if (reason === 'evict') options.onEvict();
      },
      // Fresh entries are read far more often than they expire: check age on read only.
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
    });
  }

  get size(): number {
    return this.lru.size;
  }

  get calculatedSize(): number {
    return this.lru.calculatedSize;
  }

  get(key: string): Entry | undefined {
    return this.lru.get(key);
  }

  /**
   * The entry of a read found by its path, without building its string key; the LRU still sees
   * the hit (recency, TTL). Undefined when the read has no path or nothing is cached for it.
   */
  getByPath(ctx: ReadContext): Entry | undefined {
    const entry = this.paths.get(ctx);
    return entry === undefined ? undefined : this.lru.get(entry.key, GET_OPTIONS);
  }

  /** Caches `entry` (from the read `ctx`). */
  set(entry: Entry, ttlMs: number, ctx: ReadContext): void {
    this.lru.set(entry.key, entry, { ttl: ttlMs });
    // lru-cache refuses an entry larger than maxSize; only index what it kept.
    if (this.lru.peek(entry.key) !== entry) return;
    this.index(entry);
    entry.path = this.paths.set(ctx, entry);
  }

  delete(key: string): boolean {
    return this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
    this.paths.clear();
  }

  /**
   * Brings every cached read a change can affect (those whose filter matches the row's old or
   * new values) up to date, or drops it. Before the commit (`prepare`) an entry that can be
   * kept is only marked pending (the transaction may roll back; a pending entry is served as a
   * miss); after it (`committed`) the change is applied. A change from another process
   * (`remote`) was never prepared here, and this process cannot tell whether a cached answer
   * was read before or after that commit: a count moved by one would then count it twice, so
   * remote changes drop lists and counts and only patch single rows (which is idempotent).
   */
  invalidate(change: RowChange, phase: Phase): { dropped: number; patched: number } {
    const none = { dropped: 0, patched: 0 };
    const idx = this.indexes.get(change.entity.name);
    if (!idx) return none;
    const rows: Row[] = [];
    if (change.before) rows.push(change.before);
    if (change.after) rows.push(change.after);
    // A change whose rows are unknown (bulk) or half-known (an update without its old
    // values) cannot be evaluated: drop everything of that entity.
    if (change.kind === 'bulk' || rows.length === 0 || (change.kind === 'update' && (!change.before || !change.after))) {
      return { dropped: this.dropAll(change.entity.name), patched: 0 };
    }
    const zone = this.options.zone;
    const candidates = new Set<string>();
    for (const [column, byValue] of idx.byColumn) {
      const col = change.entity.columns.get(column);
      if (!col) continue;
      for (const row of rows) {
        const keys = byValue.get(valueKey(col.kind, row[column], zone));
        if (keys) for (const k of keys) candidates.add(k);
      }
    }
    for (const k of idx.scanned) candidates.add(k);
    let dropped = 0;
    let patched = 0;
    for (const key of candidates) {
      const entry = this.lru.peek(key);
      if (!entry) continue;
      if (!rows.some((r) => matchesFilter(entry.filter, r, zone))) continue;
      if (this.keeps(entry, change, phase)) {
        if (phase === 'prepare') {
          entry.pending++;
          continue;
        }
        if (phase === 'committed') entry.pending = Math.max(0, entry.pending - 1);
        if (this.apply(entry, change)) {
          entry.hit = undefined;
          patched++;
          continue;
        }
      }
      this.lru.delete(key);
      dropped++;
    }
    return { dropped, patched };
  }

  /** Whether `entry` follows `change` rather than being dropped by it. */
  private keeps(entry: Entry, change: RowChange, phase: Phase): boolean {
    switch (entry.mode) {
      case 'patch':
        return this.isOwnRow(entry, change);
      case 'list':
      case 'count':
        return phase !== 'remote';
      default:
        return false;
    }
  }

  /** Applies a committed change to an entry that keeps; false when it must be dropped after all. */
  private apply(entry: Entry, change: RowChange): boolean {
    const zone = this.options.zone;
    switch (entry.mode) {
      case 'patch':
        if (!matchesFilter(entry.filter, change.after!, zone)) return false;
        entry.value = Object.freeze([Object.freeze({ ...change.after! })]);
        return true;
      case 'list': {
        const list = entry.list!;
        if (!maintainList(list, entry.filter, change, zone)) return false;
        entry.value = served(list);
        return true;
      }
      case 'count':
        entry.value = (entry.value as number) + countDelta(entry.filter, change, zone);
        return true;
      default:
        return false;
    }
  }

  /** Drops every entry of an entity; returns how many. */
  dropAll(entity: string): number {
    const idx = this.indexes.get(entity);
    if (!idx) return 0;
    const keys = [...idx.all];
    for (const k of keys) this.lru.delete(k);
    return keys.length;
  }

  // Write-through: an update of the very row a single-row read returned is patched in rather
  // than dropped, when the change carries the new values.
  private isOwnRow(entry: Entry, change: RowChange): boolean {
    if (change.kind !== 'update' || !change.after || typeof entry.value === 'number') return false;
    const current = entry.value[0];
    return current !== undefined && current[change.entity.primaryKey] === change.key;
  }

  private indexFor(entity: string): EntityIndex {
    let idx = this.indexes.get(entity);
    if (!idx) {
      idx = { all: new Set(), byColumn: new Map(), scanned: new Set() };
      this.indexes.set(entity, idx);
    }
    return idx;
  }

  private index(entry: Entry): void {
    const idx = this.indexFor(entry.entity);
    idx.all.add(entry.key);
    if (entry.indexColumn === undefined) {
      idx.scanned.add(entry.key);
      return;
    }
    let byValue = idx.byColumn.get(entry.indexColumn);
    if (!byValue) {
      byValue = new Map();
      idx.byColumn.set(entry.indexColumn, byValue);
    }
    for (const v of entry.indexValues) {
      let keys = byValue.get(v);
      if (!keys) {
        keys = new Set();
        byValue.set(v, keys);
      }
      keys.add(entry.key);
    }
  }

  private unindex(entry: Entry): void {
    const idx = this.indexes.get(entry.entity);
    if (!idx) return;
    idx.all.delete(entry.key);
    if (entry.indexColumn === undefined) {
      idx.scanned.delete(entry.key);
      return;
    }
    const byValue = idx.byColumn.get(entry.indexColumn);
    if (!byValue) return;
    for (const v of entry.indexValues) {
      const keys = byValue.get(v);
      if (!keys) continue;
      keys.delete(entry.key);
      if (keys.size === 0) byValue.delete(v);
    }
  }
}

/** Chooses the index column of a filter: its first equality, else its first `$in`. */
export function indexOf(filter: Filter, zone: TimeZoneMode): { column: string | undefined; values: string[] } {
  const eq = filter.find((c) => c.op === 'eq');
  if (eq) return { column: eq.column.name, values: [valueKey(eq.column.kind, eq.value, zone)] };
  const inCond = filter.find((c) => c.op === 'in' && (c.value as unknown[]).length > 0);
  if (inCond) return { column: inCond.column.name, values: (inCond.value as unknown[]).map((v) => valueKey(inCond.column.kind, v, zone)) };
  return { column: undefined, values: [] };
}
