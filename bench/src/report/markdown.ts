/** docs/benchmarks.md and its charts, generated from a results file. */
import type { CaseWithRatios, BenchResults, GoalResult } from '../results.js';
import type { ScenarioId } from '../context.js';
import { barChart, type Chart } from './svg.js';

const DIALECT_NAME = { sqlite: 'SQLite', postgresql: 'PostgreSQL' } as const;

function num(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function rate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  return v >= 100 ? num(v) : num(v, 1);
}

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  if (v >= 100) return num(v);
  if (v >= 10) return num(v, 1);
  if (v >= 1) return num(v, 2);
  return num(v, 3);
}

function ratio(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v >= 10 ? `${num(v)}×` : v >= 1 ? `${num(v, 1)}×` : `${num(v, 2)}×`;
}

function pct(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : 'n/a';
}

function goalValue(g: GoalResult): string {
  if (g.measured === null) return 'n/a';
  switch (g.id) {
    case 'point-vs-mikro':
    case 'point-vs-raw':
    case 'turn-throughput':
    case 'turn-p95':
    case 'l1-vs-mikro-cache':
    case 'l1-vs-map':
    case 'batch-vs-raw-tx':
    case 'batch-vs-mikro':
      return ratio(g.measured);
    case 'l1-p50':
    case 'l1-p95':
      return `${g.measured.toFixed(2)} µs`;
    case 'seed-read-p95':
      return `${ms(g.measured)} ms`;
    case 'seed-hit-rate':
    case 'seed-batching':
      return pct(g.measured);
    default:
      return `${rate(g.measured)}/s`;
  }
}

function verdict(met: boolean | null): string {
  return met === null ? 'not measurable yet' : met ? '**met**' : '**not met**';
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const sep = header.map((_, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---'));
  return [row(header), row(sep), ...rows.map(row)].join('\n');
}

function perS(c: CaseWithRatios): string {
  if (c.status !== 'ok' || !c.summary) return `n/a (${c.reason ?? 'not run'})`;
  const [lo, hi] = c.summary.perSRange;
  return `${rate(c.summary.perS)} <sub>(${rate(lo)}–${rate(hi)})</sub>`;
}

function latency(c: CaseWithRatios, key: 'p50' | 'p95' | 'p99'): string {
  return c.status === 'ok' && c.summary ? ms(c.summary[key]) : '';
}

function scenarioCases(r: BenchResults, scenario: ScenarioId, filter?: (c: CaseWithRatios) => boolean): CaseWithRatios[] {
  return r.cases.filter((c) => c.scenario === scenario && (!filter || filter(c)));
}

function microTable(r: BenchResults, scenario: ScenarioId, unit: string, filter?: (c: CaseWithRatios) => boolean): string {
  const rows = scenarioCases(r, scenario, filter).map((c) => [
    DIALECT_NAME[c.dialect],
    c.label,
    perS(c),
    latency(c, 'p50'),
    latency(c, 'p95'),
    latency(c, 'p99'),
    c.id.startsWith('raw') && !c.id.startsWith('raw-') ? 'baseline' : ratio(c.ratios.raw),
    c.id.startsWith('mikro-orm') && !c.id.startsWith('mikro-orm-') ? 'baseline' : ratio(c.ratios['mikro-orm']),
  ]);
  return table(['database', 'case', `${unit}/s (median, range)`, 'p50 ms', 'p95 ms', 'p99 ms', 'vs raw', 'vs MikroORM'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']);
}

function turnTable(r: BenchResults): string {
  const rows = scenarioCases(r, 'turn').map((c) => {
    const e = c.extra ?? {};
    const ok = c.status === 'ok';
    return [
      DIALECT_NAME[c.dialect],
      c.label,
      perS(c),
      latency(c, 'p50'),
      latency(c, 'p95'),
      latency(c, 'p99'),
      c.id === 'mikro-orm' ? 'baseline' : ratio(c.ratios['mikro-orm']),
      c.id === 'mikro-orm' ? 'baseline' : ratio(c.p95Ratios['mikro-orm']),
      ok ? num(e.statementsPerTurn as number, 2) : '',
      ok ? rate(e.writesPerS as number) : '',
      ok ? ms(e.readP95 as number) : '',
      ok ? pct(e.hitRate) : '',
      ok ? pct(e.batchingRate) : '',
    ];
  });
  rows.push(['', '*seed-plan targets (reference)*', '', '', '', '', '', '', '', '> 500', '< 15', '> 80 %', '> 80 %']);
  return table(['database', 'case', 'turns/s (median, range)', 'p50 ms', 'p95 ms', 'p99 ms', 'turns/s vs MikroORM', 'p95 vs MikroORM', 'statements / turn', 'writes/s', 'read p95 ms', 'hit rate', 'batching'], rows, ['l', 'l']);
}

/** The charts: file name -> SVG. */
export function charts(r: BenchResults): Record<string, string> {
  const series = r.dialects.map((d) => DIALECT_NAME[d]);
  const make = (title: string, unit: string, cases: CaseWithRatios[], value: (c: CaseWithRatios) => number | null): string => {
    const labels = [...new Set(cases.map((c) => c.label))];
    const rows = labels.map((label) => {
      const values = r.dialects.map((d) => {
        const c = cases.find((x) => x.label === label && x.dialect === d);
        return c && c.status === 'ok' ? value(c) : null;
      });
      const na = cases.find((x) => x.label === label && x.status !== 'ok')?.reason;
      return { label, values, na: na ? `n/a (${na})` : undefined };
    });
    const chart: Chart = { title, unit, series, rows };
    return barChart(chart);
  };
  const thr = (c: CaseWithRatios) => c.summary?.perS ?? null;
  return {
    'point-read.svg': make('Point read by unique key (chat_streams.stream_id)', 'reads per second', scenarioCases(r, 'point-read'), thr),
    'recent.svg': make('Recent messages of a chat (ORDER BY time DESC LIMIT N)', 'reads per second', scenarioCases(r, 'recent'), thr),
    'insert.svg': make('Inserting messages rows', 'rows per second', scenarioCases(r, 'insert'), thr),
    'turn.svg': make('Chat turn, closed loop', 'turns per second, higher is better', scenarioCases(r, 'turn'), thr),
    'turn-p95.svg': make('Chat turn, p95 latency', 'milliseconds, lower is better', scenarioCases(r, 'turn'), (c) => c.summary?.p95 ?? null),
  };
}

/** docs/benchmarks.md. `paths` are relative to docs/. */
export function markdown(r: BenchResults, paths: { charts: string; results: string }, workloadText: string): string {
  const m = r.machine as Record<string, string | number | number[]>;
  const s = r.settings as Record<string, number | string>;
  const installed = Object.entries(r.plugins).filter(([, v]) => v === true).map(([k]) => k);
  const missing = Object.entries(r.plugins).filter(([, v]) => v !== true).map(([k]) => k);
  const goals = r.goals.filter((g) => !g.reference);
  const refs = r.goals.filter((g) => g.reference);
  const chart = (name: string, alt: string) => `![${alt}](${paths.charts}/${name})`;
  const turnErrors = r.cases.filter((c) => c.scenario === 'turn').reduce((n, c) => n + (typeof c.extra?.errors === 'number' ? c.extra.errors : 0), 0);
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push(
    `<!-- Generated by bench/src/run.ts from ${paths.results}. Do not edit by hand: run \`pnpm bench\` (full) or \`pnpm bench --quick --docs\`. -->`,
  );
  out.push('');
  out.push(
    `botdb next to what an application would otherwise write — the raw driver, plain MikroORM, MikroORM's result cache, a \`Map\` — in one process run per scenario, on the same data. ` +
      `This page was generated by **\`${r.command}\`** (${r.mode} mode: ${s.reps} repetitions of ${s.microMs} ms per read/insert case and ${s.turnMs} ms per turn case, each after a warm-up) ` +
      `on ${r.generatedAt.slice(0, 10)}, in ${Math.round(r.durationS)} s. Raw data: [${paths.results.replace(/^\.\.\//, '')}](${paths.results}).`,
  );
  out.push('');
  const pkgs = (names: readonly string[]) => names.map((n) => `\`@botdb/${n}\``).join(', ');
  out.push(
    `**Plugins in this run:** ${installed.length ? pkgs(installed) : 'none'}.` +
      (missing.length
        ? ` Not installed: ${pkgs(missing)} (not dependencies of \`examples/chat-sim\`, which loads plugins by name). Cases that need them are shown as *n/a (plugin not installed)*, never estimated; they fill in on the first run after the dependencies are added.`
        : ''),
  );
  out.push('');
  out.push('## Goals');
  out.push('');
  const goalRows = (list: readonly GoalResult[]) => list.map((g) => [g.text, DIALECT_NAME[g.dialect], goalValue(g), g.target, verdict(g.met)]);
  const notes = (list: readonly GoalResult[]) => [...new Set(list.filter((g) => g.note).map((g) => `${DIALECT_NAME[g.dialect]}: ${g.note}`))];
  out.push(table(['goal', 'database', 'measured', 'target', 'result'], goalRows(goals), ['l', 'l', 'r', 'l', 'l']));
  out.push('');
  out.push("The seed plan's acceptance targets, for reference, measured on the all-plugins chat turn:");
  out.push('');
  out.push(table(['target', 'database', 'measured', 'target', 'result'], goalRows(refs), ['l', 'l', 'r', 'l', 'l']));
  out.push('');
  const why = notes(r.goals);
  if (why.length) {
    out.push(`*Not measurable yet* — ${why.join('; ')}.`);
    out.push('');
  }
  out.push('## Point read by unique key');
  out.push('');
  out.push('One `chat_streams` row by `stream_id` (unique index), keys drawn uniformly from the fixture\'s streams, one call at a time. Every implementation returns the full row. Cached cases read every key once before measuring.');
  out.push('');
  out.push(chart('point-read.svg', 'point read throughput'));
  out.push('');
  out.push(microTable(r, 'point-read', 'reads'));
  out.push('');
  out.push("`Map.get` is the floor of an in-process lookup, not a contender: `db.get` is an async call, and one `await` of an already-resolved value costs about 7–10 `Map.get`s by itself (`pnpm --filter @botdb/bench exec node --import tsx src/micro/l1-hit.ts` prints `Map.get`, `await Map.get` and an L1 hit side by side). A hit also validates the filter, checks the entry's TTL and pending state and updates LRU recency.");
  out.push('');
  out.push('## Recent messages of a chat');
  out.push('');
  out.push("`chat_id = ? ORDER BY time DESC LIMIT N` over chats with 60 messages each. botdb + cache *miss*: an untimed insert into the chat precedes each timed read, so the cached result must be invalidated (the JSON records which layer answered each read).");
  out.push('');
  out.push(chart('recent.svg', 'recent messages throughput'));
  out.push('');
  out.push(microTable(r, 'recent', 'reads'));
  out.push('');
  out.push('## Inserts');
  out.push('');
  out.push(`\`messages\` rows. Throughput in rows/s; latency per call (one row, or one 100-row batch). Concurrent cases: ${s.writers} callers, each awaiting its own insert; the batch plugin also at 4× and 16× as many callers, to show how flushes grow with them.`);
  out.push('');
  out.push("Each caller awaits its write's commit, so a flush holds at most as many rows as there are callers. On SQLite most of a row's cost is its share of the commit (the pages its 11 index entries dirty, written to the WAL), which shrinks as more rows share a commit; the raw driver's own 100-row transactions are only about 7× faster than MikroORM's row-per-flush there, so batching reaches 12× only with many more rows per commit than 64 callers can give.");
  out.push('');
  out.push(chart('insert.svg', 'insert throughput'));
  out.push('');
  out.push(microTable(r, 'insert', 'rows'));
  out.push('');
  out.push('## The chat turn');
  out.push('');
  out.push(
    `The simulator's turn (\`examples/chat-sim/src/turn.ts\`, the same function \`pnpm start\` runs): get the stream by \`stream_id\`, get the sender's PersonInfo, insert the message, update the stream's \`last_active_time\` and counters, read the last 20 messages, and for some turns record an LLMUsage row and an action via \`store_action_info\` and look up an emoji by hash. ` +
      `Closed loop with ${s.turnConcurrency} turns in flight; a chat's turns never overlap. Workload: ${workloadText}. ` +
      'The baseline is the same turn hand-written on plain MikroORM (`bench/src/baselines/mikro-orm.ts`): a fork per message, `findOne`, `em.create`, one flush for the message and the stream update, one for the LLM row and the action (an upsert by `action_id`, as `store_action_info` does). ' +
      (r.mode === 'full'
        ? 'Implementations take turns round-robin on one seeded database; each repetition opens the implementation, warms it up, measures and closes it. '
        : 'Each implementation is opened once and its repetitions run back to back. ') +
      `Every turn checks that it reads what earlier turns committed (its own message in the context, the stream's count); failed turns in this run: ${turnErrors}.`,
  );
  out.push('');
  out.push(chart('turn.svg', 'turn throughput'));
  out.push('');
  out.push(chart('turn-p95.svg', 'turn p95 latency'));
  out.push('');
  out.push(turnTable(r));
  out.push('');
  out.push('## Method and caveats');
  out.push('');
  const load = m.loadavgStart as number[] | undefined;
  const loadEnd = m.loadavgEnd as number[] | undefined;
  out.push(`- Machine: ${m.cpu} × ${m.cores} cores, ${m.memoryGb} GB RAM, ${m.os}; Node ${m.node}. Load average (1 min) ${load?.[0]?.toFixed(2) ?? '?'} at the start and ${loadEnd?.[0]?.toFixed(2) ?? '?'} at the end of the run: other processes on the machine add noise, which the ranges show.`);
  out.push(`- Versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  out.push(
    "- Each scenario runs on each database in a fresh Node process of its own, one at a time, with its baselines side by side in that process: one scenario's leftovers (heap, JIT state, the async hooks a MikroORM flush enables for the rest of a process, which make every later promise slower) cannot skew the next.",
  );
  out.push('- Numbers are medians over the repetitions (the range in small print is the lowest and highest repetition); p50/p95/p99 are per-call latencies, the median over repetitions of each percentile. Each case runs after a discarded warm-up. `vs raw` and `vs MikroORM` divide this case\'s throughput by the baseline\'s, so `0.5×` means half as fast; `p95 vs MikroORM` divides p95s, so lower is better.');
  out.push('- Same code paths a user calls: botdb through its public API (`db.get`, `db.create`, compat\'s `store_action_info`), plugins created by name exactly as the simulator does (`examples/chat-sim/src/plugins.ts`), nothing tuned for the benchmark.');
  out.push('- Every SQLite connection — botdb\'s, MikroORM\'s, the raw driver\'s — uses the same pragmas (WAL, `synchronous=NORMAL`, `busy_timeout`, `foreign_keys`), so durability is equal and only the code differs. Fixtures are temp files, seeded through botdb and closed before a case opens them. PostgreSQL runs in a schema of its own, emptied per fixture and dropped at the end.');
  out.push('- The raw driver is better-sqlite3 with prepared statements called synchronously (not awaited), and `pg` with named prepared statements on a 10-connection pool; it returns driver rows without any mapping. `Map.get` is timed in batches of 1000 calls.');
  out.push('- Statements per turn count data statements (botdb\'s `query` hook, MikroORM\'s logger), not BEGIN/COMMIT.');
  return `${out.join('\n')}\n`;
}
