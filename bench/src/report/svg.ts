/**
 * Horizontal bar charts as standalone SVG: one row per case, one bar per database, a log scale
 * (throughputs here span five orders of magnitude), n/a rows labelled instead of drawn.
 */

/** One row of a chart: a case and its value per series (null = n/a). */
export interface ChartRow {
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** Shown instead of a bar when every value is null. */
  readonly na?: string;
}

export interface Chart {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly string[];
  readonly rows: readonly ChartRow[];
}

const COLORS = ['#2f6db5', '#e07b39', '#4f9a57'];
const ROW_H = 18;
const BAR_GAP = 2;
const PLOT_W = 420;
const VALUE_W = 90;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
  return v >= 10 ? v.toFixed(0) : v.toFixed(1);
}

/** Renders `chart` as an SVG document. */
export function barChart(chart: Chart): string {
  // Wide enough for the longest label at about 6.2 px per character of 11 px sans-serif.
  const labelW = Math.ceil(Math.max(200, ...chart.rows.map((r) => r.label.length * 6.2 + 24)));
  const values = chart.rows.flatMap((r) => r.values.filter((v): v is number => v !== null && v > 0));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(1e-3, Math.min(...values, 1)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 10))));
  const x = (v: number) => (PLOT_W * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const n = chart.series.length;
  const groupH = n * (ROW_H - 6) + (n - 1) * BAR_GAP + 10;
  const top = 44;
  const height = top + chart.rows.length * groupH + 34;
  const width = labelW + PLOT_W + VALUE_W + 20;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="11">`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="10" y="18" font-size="13" font-weight="600">${esc(chart.title)}</text>`);
  chart.series.forEach((s, i) => {
    const lx = labelW + 10 + i * 110;
    parts.push(`<rect x="${lx}" y="28" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 14}" y="37">${esc(s)}</text>`);
  });
  // Decade grid lines.
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const gx = labelW + x(d);
    parts.push(`<line x1="${gx.toFixed(1)}" y1="${top - 2}" x2="${gx.toFixed(1)}" y2="${height - 28}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${gx.toFixed(1)}" y="${height - 16}" text-anchor="middle" fill="#666">${fmt(d)}</text>`);
  }
  parts.push(`<text x="${labelW + PLOT_W / 2}" y="${height - 3}" text-anchor="middle" fill="#666">${esc(chart.unit)} (log scale)</text>`);
  chart.rows.forEach((row, r) => {
    const gy = top + r * groupH;
    parts.push(`<text x="${labelW - 8}" y="${gy + groupH / 2 + 2}" text-anchor="end">${esc(row.label)}</text>`);
    if (row.values.every((v) => v === null)) {
      parts.push(`<text x="${labelW + 4}" y="${gy + groupH / 2 + 2}" fill="#999" font-style="italic">${esc(row.na ?? 'n/a')}</text>`);
      return;
    }
    row.values.forEach((v, i) => {
      const by = gy + 4 + i * (ROW_H - 6 + BAR_GAP);
      if (v === null || !(v > 0)) {
        parts.push(`<text x="${labelW + 4}" y="${by + 9}" fill="#999" font-style="italic">n/a</text>`);
        return;
      }
      const w = Math.max(1, x(v));
      parts.push(`<rect x="${labelW}" y="${by}" width="${w.toFixed(1)}" height="${ROW_H - 6}" fill="${COLORS[i % COLORS.length]}"/>`);
      parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${by + 9}" fill="#333">${fmt(v)}</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
