/** JSON for L2 and the invalidation bus, keeping `Date`s as dates. */

export function serialize(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $d: raw.getTime() } : v;
  });
}

export function deserialize<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && '$d' in v && Object.keys(v).length === 1 ? new Date((v as { $d: number }).$d) : v,
  ) as T;
}
