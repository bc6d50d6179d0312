/** Number formatting and plain-text tables for terminal output. */

/** `1234567` -> `1,234,567`. */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

/** A latency in milliseconds with sensible precision. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** A rate with sensible precision: `12,345` or `12.3`. */
export function fmtRate(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 100 ? fmtInt(n) : n.toFixed(1);
}

/** A fraction as a percentage, or `n/a`. */
export function fmtPct(f: number | undefined, digits = 1): string {
  return f === undefined || !Number.isFinite(f) ? 'n/a' : `${(f * 100).toFixed(digits)} %`;
}

/** Renders rows as aligned columns; the first row is the header. Numbers-looking cells align right. */
export function textTable(rows: readonly (readonly string[])[], indent = ''): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const numeric = /^[-+]?[\d,.]+( ?[%×x])?$|^n\/a$/;
  return rows
    .map((r) => indent + r.map((c, i) => (i > 0 && numeric.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}
