/**
 * A second way to find an L1 entry, for hits: a tree of Maps keyed by the parts of a read
 * (entity; kind, single, limit and sizes in one number; each order term's column and direction;
 * each condition's column, operator and value) rather than by one string. Building and hashing a
 * read's string key costs about 0.5 µs; walking this tree costs a few Map lookups on keys whose
 * hashes are already known. Only reads whose values are all primitives have a path; the others
 * are found by their string key alone.
 */
import type { ReadContext } from '@botdb/core';

/** The entry stored at a path's end (a Map key no read part can equal). */
const LEAF = Symbol('leaf');

type Node = Map<unknown, unknown>;

function isPrimitive(v: unknown): boolean {
  const type = typeof v;
  return type === 'string' || type === 'number' || type === 'bigint' || type === 'boolean';
}

/** Kind, single, limit and the number of order terms and conditions, as one number. */
function shapeOf(ctx: ReadContext): number {
  const shape = (ctx.kind === 'get' ? 1 : 0) | (ctx.single ? 2 : 0) | (ctx.orderBy.length << 2) | (ctx.filter.length << 12);
  return ctx.limit === undefined ? shape : shape + (ctx.limit + 1) * 2 ** 24;
}

/** The read's path, or undefined when it has none (a Date or list value). */
function pathOf(ctx: ReadContext): unknown[] | undefined {
  const out: unknown[] = [ctx.entity, shapeOf(ctx)];
  for (const t of ctx.orderBy) out.push(t.column, t.desc);
  for (const c of ctx.filter) {
    out.push(c.column, c.op);
    if (c.op === 'isnull' || c.op === 'notnull') continue;
    if (!isPrimitive(c.value)) return undefined;
    out.push(c.value);
  }
  return out;
}

export class PathIndex<T> {
  private readonly root: Node = new Map();

  /** The value stored for this read's path. Walks without building the path: this is the hit path. */
  get(ctx: ReadContext): T | undefined {
    let node = this.root.get(ctx.entity) as Node | undefined;
    if (node === undefined) return undefined;
    node = node.get(shapeOf(ctx)) as Node | undefined;
    const order = ctx.orderBy;
    for (let i = 0; i < order.length && node !== undefined; i++) {
      node = node.get(order[i]!.column) as Node | undefined;
      node = node?.get(order[i]!.desc) as Node | undefined;
    }
    const filter = ctx.filter;
    for (let i = 0; i < filter.length && node !== undefined; i++) {
      const c = filter[i]!;
      node = node.get(c.column) as Node | undefined;
      node = node?.get(c.op) as Node | undefined;
      if (node === undefined || c.op === 'isnull' || c.op === 'notnull') continue;
      if (!isPrimitive(c.value)) return undefined;
      node = node.get(c.value) as Node | undefined;
    }
    return node?.get(LEAF) as T | undefined;
  }

  /** Stores `value` under the read's path; returns the path (for `delete`), or undefined if it has none. */
  set(ctx: ReadContext, value: T): readonly unknown[] | undefined {
    const path = pathOf(ctx);
    if (path === undefined) return undefined;
    let node = this.root;
    for (const part of path) {
      let next = node.get(part) as Node | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(part, next);
      }
      node = next;
    }
    node.set(LEAF, value);
    return path;
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
