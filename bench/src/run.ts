/**
 * botdb's benchmark harness: every scenario on SQLite, and on PostgreSQL when `BOTDB_PG_URL`
 * is set; JSON results, and docs/benchmarks.md with SVG charts.
 *
 * Each (database, scenario) pair runs in a fresh Node process of its own, one after another, with
 * its contenders and baselines side by side in that process: what one scenario leaves behind
 * (heap, JIT state, the async hooks a MikroORM flush turns on for good) cannot slow the next.
 *
 *   pnpm bench                     full run; writes docs/benchmarks.md, bench/charts/, bench/results/full.json
 *   pnpm bench --quick             CI smoke (under 90 s); writes .bench-out/ only (add --docs for the docs)
 *   pnpm bench --only turn --dialect sqlite
 *   pnpm bench --from bench/results/full.json --docs    regenerate the docs from saved results
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PLUGIN_NAMES, describeWorkload, pluginAvailability, resolveSimOptions, resolveWorkloadOptions } from '@botdb/example-chat-sim';
import { SCENARIOS, type BenchContext, type CaseResult, type ScenarioId } from './context.js';
import { charts, markdown } from './report/markdown.js';
import { evaluateGoals, withRatios, type BenchResults } from './results.js';
import { postgresTarget, removeSqliteFilesOf, sqliteTarget, type Target } from './targets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Timing per mode. Quick is a CI smoke test (under 90 s for both databases on a small machine);
 * full is what docs/benchmarks.md should come from.
 */
const MODES = Object.freeze({
  quick: { micro: { warmupMs: 150, measureMs: 150, reps: 3 }, turn: { warmupMs: 300, measureMs: 500, reps: 3 } },
  full: { micro: { warmupMs: 500, measureMs: 1000, reps: 5 }, turn: { warmupMs: 1500, measureMs: 4000, reps: 5 } },
} as const);

/** Load settings shared by both modes. */
const LOAD = Object.freeze({ turnConcurrency: 32, writers: 64, metricsPort: 9465 });
type Runner = (ctx: BenchContext, t: Target) => Promise<CaseResult[]>;
/** Loaded in the scenario's own process only. */
const RUNNERS: Record<ScenarioId, () => Promise<Runner>> = {
  'point-read': async () => (await import('./scenarios/point-read.js')).pointRead,
  recent: async () => (await import('./scenarios/recent.js')).recentMessages,
  insert: async () => (await import('./scenarios/insert.js')).inserts,
  turn: async () => (await import('./scenarios/turn.js')).chatTurns,
};
const DIALECTS = ['sqlite', 'postgresql'] as const;
type Dialect = (typeof DIALECTS)[number];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    docs: { type: 'boolean' },
    'no-docs': { type: 'boolean', default: false },
    only: { type: 'string' },
    dialect: { type: 'string' },
    from: { type: 'string' },
    help: { type: 'boolean', default: false },
    // Internal: run one scenario on one database and write its cases to a file (see runChild).
    child: { type: 'string' },
    'child-out': { type: 'string' },
  },
  strict: true,
});

if (args.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*|^ \* ?/gm, ''));
  process.exit(0);
}

function versionOf(pkg: string): string {
  const require = createRequire(join(ROOT, 'bench', 'package.json'));
  // Walk up from the entry point: not every package exports its package.json.
  let dir = dirname(require.resolve(pkg));
  for (let i = 0; i < 6; i++) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (json.name === pkg) return json.version ?? '?';
    } catch {
      // no package.json here
    }
    dir = dirname(dir);
  }
  return '?';
}

function writeOutputs(results: BenchResults, out: { run: boolean; docs: boolean }): void {
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (out.run) {
    const outDir = join(ROOT, '.bench-out');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `bench-${results.mode}-${results.generatedAt.replace(/[:.]/g, '-')}.json`), json);
    writeFileSync(join(outDir, 'latest.json'), json);
    console.log(`results: ${relative(process.cwd(), join(outDir, 'latest.json'))}`);
  }
  if (!out.docs) return;
  const resultsFile = join(ROOT, 'bench', 'results', `${results.mode}.json`);
  const chartDir = join(ROOT, 'bench', 'charts');
  const docFile = join(ROOT, 'docs', 'benchmarks.md');
  mkdirSync(dirname(resultsFile), { recursive: true });
  mkdirSync(chartDir, { recursive: true });
  writeFileSync(resultsFile, json);
  for (const [name, svg] of Object.entries(charts(results))) writeFileSync(join(chartDir, name), svg);
  const rel = (p: string) => relative(dirname(docFile), p).split('\\').join('/');
  writeFileSync(docFile, markdown(results, { charts: rel(chartDir), results: rel(resultsFile) }, describeWorkload(resolveSimOptions({ tag: 'bench' }))));
  console.log(`docs:    ${relative(process.cwd(), docFile)}, ${relative(process.cwd(), chartDir)}/*.svg, ${relative(process.cwd(), resultsFile)}`);
}

function printSummary(results: BenchResults): void {
  for (const c of results.cases) {
    const head = `${c.dialect.padEnd(10)} ${c.scenario.padEnd(10)} ${c.label.padEnd(64)}`;
    if (c.status !== 'ok' || !c.summary) {
      console.log(`${head} n/a (${c.reason})`);
      continue;
    }
    const ratios = Object.entries(c.ratios)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${v!.toFixed(2)}× ${k}`)
      .join(', ');
    console.log(`${head} ${c.summary.perS.toFixed(0).padStart(9)}/s  p50 ${c.summary.p50.toFixed(3)}  p95 ${c.summary.p95.toFixed(3)}  p99 ${c.summary.p99.toFixed(3)} ms  ${ratios}`);
  }
  console.log('\ngoals:');
  for (const g of results.goals) {
    const v = g.measured === null ? 'n/a' : g.measured.toFixed(g.measured < 10 ? 3 : 1);
    console.log(`  ${g.reference ? '(ref) ' : ''}${g.dialect.padEnd(10)} ${g.text}: ${v} (target ${g.target}) -> ${g.met === null ? 'not measurable' : g.met ? 'met' : 'NOT met'}`);
  }
}

function benchContext(quick: boolean, availability: BenchContext['availability']): BenchContext {
  return { quick, ...MODES[quick ? 'quick' : 'full'], ...LOAD, availability, log: (m) => console.log(m) };
}

function isDialect(v: string | undefined): v is Dialect {
  return (DIALECTS as readonly (string | undefined)[]).includes(v);
}

function isScenario(v: string | undefined): v is ScenarioId {
  return (SCENARIOS as readonly (string | undefined)[]).includes(v);
}

/**
 * The scenario's own process (`--child <dialect>:<scenario> --child-out <file>`): runs that one
 * scenario on that one database and writes its cases to the file. It removes its SQLite files
 * and closes its connections, but leaves the PostgreSQL schema to the parent, which drops it at
 * the end of the run.
 */
async function runChild(spec: string, out: string | undefined, quick: boolean): Promise<void> {
  const [dialect, scenario] = spec.split(':');
  if (!isDialect(dialect) || !isScenario(scenario) || out === undefined) throw new Error(`--child ${spec}: expected <dialect>:<scenario> and --child-out <file>`);
  const ctx = benchContext(quick, await pluginAvailability(PLUGIN_NAMES));
  const run = await RUNNERS[scenario]();
  let target: Target;
  if (dialect === 'sqlite') target = sqliteTarget();
  else if (process.env.BOTDB_PG_URL) target = postgresTarget(process.env.BOTDB_PG_URL);
  else throw new Error('--child postgresql:… needs BOTDB_PG_URL');
  const t0 = performance.now();
  let cases: CaseResult[];
  try {
    cases = await run(ctx, target);
  } finally {
    await target.close();
  }
  writeFileSync(out, JSON.stringify(cases));
  console.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

/** Runs `scenario` on `dialect` in a fresh Node process (same Node flags, same environment) and returns its cases. */
async function runInChild(dialect: Dialect, scenario: ScenarioId, quick: boolean, outDir: string): Promise<CaseResult[]> {
  const out = join(outDir, `${dialect}-${scenario}.json`);
  const argv = [...process.execArgv, fileURLToPath(import.meta.url), '--child', `${dialect}:${scenario}`, '--child-out', out, ...(quick ? ['--quick'] : [])];
  const child = spawn(process.execPath, argv, { stdio: 'inherit', env: process.env });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
    child.once('error', fail);
    child.once('exit', (c, sig) => done({ code: c, signal: sig }));
  });
  // Files of a process that died before removing them.
  if (child.pid !== undefined) removeSqliteFilesOf(child.pid);
  const what = `${dialect} ${scenario}`;
  if (code !== 0) throw new Error(`${what}: its process ${signal ? `was killed by ${signal}` : `exited with code ${String(code)}`}; stopping, no results written`);
  let cases: unknown;
  try {
    cases = JSON.parse(readFileSync(out, 'utf8'));
  } catch (e) {
    throw new Error(`${what}: its process exited normally but left no readable results (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(cases) || cases.length === 0 || !(cases as CaseResult[]).every((c) => c.dialect === dialect && c.scenario === scenario)) {
    throw new Error(`${what}: its process wrote no cases, or cases of another scenario`);
  }
  return cases as CaseResult[];
}

async function main(): Promise<void> {
  if (args.child !== undefined) {
    await runChild(args.child, args['child-out'], args.quick === true);
    return;
  }
  if (args.from !== undefined) {
    // Relative to where pnpm was started (the script itself runs in bench/).
    const results = JSON.parse(readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), args.from), 'utf8')) as BenchResults;
    writeOutputs(results, { run: false, docs: true });
    return;
  }
  const quick = args.quick === true;
  const docs = args.docs === true || (!quick && !args['no-docs']);
  const only = args.only === undefined ? [...SCENARIOS] : args.only.split(',').map((s) => s.trim());
  for (const s of only) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--only: unknown scenario "${s}"; use ${SCENARIOS.join(', ')}`);
  const started = performance.now();
  const loadavgStart = loadavg();

  // Each scenario's process checks again for its own cases; this is for the log and the results.
  const availability = await pluginAvailability(PLUGIN_NAMES);
  const ctx = benchContext(quick, availability);
  for (const [name, ok] of Object.entries(availability)) if (ok !== true) console.log(`plugin ${name}: ${ok} -> its cases are n/a`);

  const pgUrl = process.env.BOTDB_PG_URL;
  const targets: Target[] = [];
  if (args.dialect === undefined || args.dialect === 'sqlite') targets.push(sqliteTarget());
  if (args.dialect === undefined || args.dialect === 'postgresql') {
    if (pgUrl) targets.push(postgresTarget(pgUrl));
    else console.log('PostgreSQL: BOTDB_PG_URL is not set, running SQLite only');
  }
  if (targets.length === 0) throw new Error('--dialect postgresql needs BOTDB_PG_URL');

  const cases: CaseResult[] = [];
  const versions: Record<string, string> = {
    node: process.versions.node,
    '@botdb/core': versionOf('@botdb/core'),
    '@mikro-orm/core': versionOf('@mikro-orm/core'),
    'better-sqlite3': versionOf('better-sqlite3'),
    pg: versionOf('pg'),
  };
  const outDir = mkdtempSync(join(tmpdir(), 'botdb-bench-cases-'));
  try {
    for (const t of targets) {
      const name = t.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      versions[name] = await t.version();
      console.log(`\n== ${name} ${versions[name]}`);
      // One at a time, never in parallel: the numbers are timing-sensitive.
      for (const s of only as ScenarioId[]) {
        console.log(`${s}:`);
        cases.push(...(await runInChild(t.dialect, s, quick, outDir)));
      }
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    for (const t of targets) await t.cleanup();
  }

  const dialects = targets.map((t) => t.dialect);
  const withR = withRatios(cases);
  const cpu = cpus();
  const results: BenchResults = {
    schema: 1,
    generatedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    command: `pnpm bench${quick ? ' --quick' : ''}${args.only ? ` --only ${args.only}` : ''}${args.dialect ? ` --dialect ${args.dialect}` : ''}`,
    durationS: (performance.now() - started) / 1000,
    machine: {
      os: `${osType()} ${release()}`,
      arch: process.arch,
      cpu: cpu[0]?.model.trim() ?? '?',
      cores: cpu.length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node,
      loadavgStart,
      loadavgEnd: loadavg(),
    },
    versions,
    settings: {
      reps: ctx.micro.reps,
      microMs: ctx.micro.measureMs,
      microWarmupMs: ctx.micro.warmupMs,
      turnMs: ctx.turn.measureMs,
      turnWarmupMs: ctx.turn.warmupMs,
      turnConcurrency: ctx.turnConcurrency,
      writers: ctx.writers,
      turnWorkload: resolveWorkloadOptions({ tag: 'bench', seed: 42 }),
    },
    plugins: availability,
    dialects,
    cases: withR,
    goals: evaluateGoals(withR, dialects),
  };
  console.log('');
  printSummary(results);
  writeOutputs(results, { run: true, docs });
  console.log(`\ndone in ${results.durationS.toFixed(0)} s`);
  // No performance thresholds, but failed turns mean the numbers measure something broken.
  const failed = results.cases.filter((c) => typeof c.extra?.errors === 'number' && c.extra.errors > 0);
  for (const c of failed) console.error(`ERROR: ${c.dialect} ${c.label}: ${String(c.extra!.errors)} turns failed (first: ${String(c.extra!.firstError)})`);
  if (failed.length > 0) process.exitCode = 1;
}

try {
  await main();
} catch (e) {
  // Driver errors can carry whole multi-row statements: keep the report readable.
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  console.error(`bench failed: ${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}`);
  if (e instanceof Error && e.stack) console.error(e.stack.split('\n').slice(1, 12).join('\n'));
  process.exitCode = 1;
}
