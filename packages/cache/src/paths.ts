/**
 * A second way to find an L1 entry, for hits: a tree of Maps keyed by the parts of a read
 * (entity, kind, limit, order, each condition's column, operator and value) rather than by one
 * string. Building and hashing a read's string key costs about 0.5 µs; walking this tree costs a
 * few Map lookups on keys whose hashes are already known. Only reads whose values are all
 * primitives have a path; the others are found by their string key alone.
 */
import type { ReadContext } from '@botdb/core';

/** The entry stored at a path's end (a Map key no read part can equal). */
const LEAF = Symbol('leaf');

type Node = Map<unknown, unknown>;

// Reused for every walk: paths are built and consumed synchronously.
const scratch: unknown[] = [];

/** Fills `out` with the read's path; false when the read has none (a Date or list value). */
function pathOf(ctx: ReadContext, out: unknown[]): boolean {
  out.length = 0;
  // Kind, single and the number of order terms and conditions in one number: fewer levels.
  const shape = (ctx.kind === 'get' ? 1 : 0) | (ctx.single ? 2 : 0) | (ctx.orderBy.length << 2) | (ctx.filter.length << 12);
  out.push(ctx.entity, shape, ctx.limit);
  for (const t of ctx.orderBy) out.push(t.column, t.desc);
  for (const c of ctx.filter) {
    out.push(c.column, c.op);
    if (c.op === 'isnull' || c.op === 'notnull') continue;
    const v = c.value;
    const type = typeof v;
    if (type !== 'string' && type !== 'number' && type !== 'bigint' && type !== 'boolean') return false;
    out.push(v);
  }
  return true;
}

export class PathIndex<T> {
  private readonly root: Node = new Map();

  /** The value stored for this read's path. */
  get(ctx: ReadContext): T | undefined {
    if (!pathOf(ctx, scratch)) return undefined;
    let node: Node | undefined = this.root;
    for (let i = 0; i < scratch.length && node !== undefined; i++) node = node.get(scratch[i]) as Node | undefined;
    return node?.get(LEAF) as T | undefined;
  }

  /** Stores `value` under the read's path; returns the path (for `delete`), or undefined if it has none. */
  set(ctx: ReadContext, value: T): readonly unknown[] | undefined {
    if (!pathOf(ctx, scratch)) return undefined;
    let node = this.root;
    for (const part of scratch) {
      let next = node.get(part) as Node | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(part, next);
      }
      node = next;
    }
    node.set(LEAF, value);
    return [...scratch];
  }

  /** Removes `value` from `path` if it is still what is stored there; prunes emptied nodes. */
  delete(path: readonly unknown[], value: T): void {
    const nodes: Node[] = [this.root];
    let node: Node | undefined = this.root;
    for (const part of path) {
      node = node.get(part) as Node | undefined;
      if (node === undefined) return;
      nodes.push(node);
    }
    if (node.get(LEAF) !== value) return;
    node.delete(LEAF);
    for (let i = path.length; i > 0 && nodes[i]!.size === 0; i--) nodes[i - 1]!.delete(path[i - 1]);
  }

  clear(): void {
    this.root.clear();
  }
}
