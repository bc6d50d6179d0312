/**
 * Turns a flush's writes, in issue order, into statements: consecutive inserts of an entity
 * become one multi-row INSERT, updates with the same filter merge (last value per column wins,
 * increments add up), deletes by one column become an IN list. Writes of one entity never move
 * past an earlier write of that entity they could interact with.
 */
import { isIncrement, type EntityDef, type Filter, type FilterInput, type Row, type TimeZoneMode, type WriteResult } from '@botdb/core';
import { disjoint } from './overlap.js';

/** A write waiting in the queue. */
export interface Pending {
  readonly seq: number;
  readonly entity: EntityDef;
  readonly kind: 'create' | 'update' | 'delete' | 'save';
  readonly rows: readonly Row[];
  /** A save's key column and value (undefined: the save always inserts). */
  readonly keyField?: string;
  readonly keyValue?: unknown;
  readonly filter: Filter;
  readonly data: Row;
  readonly resolve: (r: WriteResult) => void;
  readonly reject: (e: unknown) => void;
  /** Settles (never rejects) when the write committed or failed. */
  readonly settled: Promise<void>;
}

export type Group =
  | { readonly kind: 'create'; readonly entity: EntityDef; readonly items: Pending[] }
  | { readonly kind: 'update'; readonly entity: EntityDef; readonly key: string; readonly filter: Filter; data: Row; readonly items: Pending[] }
  | { readonly kind: 'delete'; readonly entity: EntityDef; readonly column: string | undefined; readonly items: Pending[] }
  | { readonly kind: 'save'; readonly entity: EntityDef; readonly items: Pending[] };

/** A canonical key of a filter, equal for filters that select the same rows by the same conditions. */
export function filterKey(filter: Filter): string {
  return filter.map((c) => `${c.column.name}\u0001${c.op}\u0001${JSON.stringify(c.value)}`).join('\u0002');
}

/** The filter as the data API takes it. */
export function filterToInput(filter: Filter): FilterInput {
  const out: Record<string, unknown> = {};
  const ops: Record<string, string> = { ne: '$ne', gt: '$gt', gte: '$gte', lt: '$lt', lte: '$lte', in: '$in', nin: '$nin' };
  for (const c of filter) {
    const name = c.column.name;
    if (c.op === 'eq') out[name] = c.value;
    else if (c.op === 'isnull') out[name] = null;
    else if (c.op === 'notnull') out[name] = { ...(out[name] as object), $ne: null };
    else out[name] = { ...(out[name] as object), [ops[c.op]!]: c.value };
  }
  return out;
}

/** Merges update data: a later value replaces, a later increment adds (to a value or an increment). */
export function mergeData(into: Row, next: Row): void {
  for (const [col, v] of Object.entries(next)) {
    const prev = into[col];
    if (isIncrement(v)) {
      if (isIncrement(prev)) into[col] = { $inc: prev.$inc + v.$inc };
      else if (typeof prev === 'number') into[col] = prev + v.$inc;
      else if (prev === null) into[col] = v.$inc;
      else into[col] = v;
    } else {
      into[col] = v;
    }
  }
}

function singleEqColumn(filter: Filter): string | undefined {
  return filter.length === 1 && filter[0]!.op === 'eq' ? filter[0]!.column.name : undefined;
}

/** Groups a flush's writes, in order. */
export function groupWrites(items: readonly Pending[], zone: TimeZoneMode): Group[] {
  const groups: Group[] = [];
  const byEntity = new Map<string, Group[]>();
  const push = (g: Group) => {
    groups.push(g);
    const list = byEntity.get(g.entity.name) ?? [];
    list.push(g);
    byEntity.set(g.entity.name, list);
  };
  for (const item of items) {
    const mine = byEntity.get(item.entity.name) ?? [];
    const last = mine[mine.length - 1];
    if (item.kind === 'create') {
      if (last?.kind === 'create') last.items.push(item);
      else push({ kind: 'create', entity: item.entity, items: [item] });
      continue;
    }
    // A save reads then writes: it runs alone, in its place.
    if (item.kind === 'save') {
      push({ kind: 'save', entity: item.entity, items: [item] });
      continue;
    }
    if (item.kind === 'delete') {
      const column = singleEqColumn(item.filter);
      if (last?.kind === 'delete' && column !== undefined && last.column === column) last.items.push(item);
      else push({ kind: 'delete', entity: item.entity, column, items: [item] });
      continue;
    }
    // An update joins an earlier update with the same filter only if every write of this
    // entity after that one touches provably different rows.
    const key = filterKey(item.filter);
    let target: Extract<Group, { kind: 'update' }> | undefined;
    for (let i = mine.length - 1; i >= 0; i--) {
      const g = mine[i]!;
      if (g.kind === 'update' && g.key === key) {
        target = g;
        break;
      }
      const independent = g.kind === 'update' && disjoint(item.filter, g.filter, zone, new Set([...Object.keys(g.data), ...Object.keys(item.data)]));
      if (!independent) break;
    }
    if (target) {
      mergeData(target.data, item.data);
      target.items.push(item);
    } else {
      push({ kind: 'update', entity: item.entity, key, filter: item.filter, data: { ...item.data }, items: [item] });
    }
  }
  return groups;
}

/**
 * The groups in execution units: each update group joins the updates of its entity that
 * directly precede it among that entity's groups (no insert, delete or save of the entity in
 * between), so a flush's stream updates run as one `updateMany`. A unit runs where its first
 * group stood; groups of other entities it moves past are independent of it (botdb's tables
 * have no foreign keys between them). Groups that are not updates are units of one.
 */
export function updateRuns(groups: readonly Group[]): Group[][] {
  const units: Group[][] = [];
  const open = new Map<string, Group[]>();
  for (const g of groups) {
    const entity = g.entity.name;
    if (g.kind !== 'update') {
      open.delete(entity);
      units.push([g]);
      continue;
    }
    const run = open.get(entity);
    if (run) run.push(g);
    else {
      const unit = [g];
      open.set(entity, unit);
      units.push(unit);
    }
  }
  return units;
}
