/**
 * botdb chat-sim: a busy bot's traffic on botdb, with a live progress line, a summary table and
 * a consistency check. `pnpm start` at the repository root runs it with the defaults (30 s on a
 * temp SQLite file, every installed plugin); `--help` lists the flags.
 *
 *   pnpm start
 *   tsx src/main.ts --mode closed --concurrency 64 --plugins none
 *   tsx src/main.ts --db postgres://postgres@127.0.0.1:5432/test --duration 60
 */
import { OptionError, USAGE, parseSimArgs, resolveSimOptions, type SimOptions } from './options.js';
import { describeRun, describeWorkload, progressLine, summary } from './report.js';
import { fmtInt, fmtMs } from './run/format.js';
import { runSimulation } from './sim.js';

let options: Readonly<SimOptions>;
try {
  const parsed = parseSimArgs(process.argv.slice(2));
  if (parsed === null) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  options = resolveSimOptions(parsed);
} catch (e) {
  console.error(`chat-sim: ${e instanceof OptionError || e instanceof TypeError ? e.message : String(e)}\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

const tty = process.stdout.isTTY === true;
const stop = new AbortController();
let signals = 0;
const onSignal = (sig: NodeJS.Signals) => {
  signals++;
  if (signals > 1) {
    console.error(`\nchat-sim: ${sig} again, exiting without draining`);
    process.exit(130);
  }
  // Stop traffic; in-flight turns finish, then the database closes (plugins drain) and the summary prints.
  console.error(`\nchat-sim: ${sig}, stopping traffic, draining and closing the database (again to force)`);
  stop.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

console.log(`chat-sim: ${describeRun(options)}`);
console.log(`workload: ${describeWorkload(options)}`);

let lastNonTty = 0;
const report = await runSimulation(options, {
  signal: stop.signal,
  notice: (m) => console.warn(m),
  ready: ({ db, metricsUrl, active, seeded, seedMs }) => {
    console.log(`database: ${db.config.dialect} ${db.config.dialect === 'sqlite' ? db.config.url : '(postgresql)'}`);
    console.log(`plugins:  ${active.length ? active.join(', ') : 'none'}`);
    if (metricsUrl) console.log(`metrics:  ${metricsUrl}`);
    console.log(`seeded:   ${fmtInt(seeded.chat_streams)} chat streams, ${fmtInt(seeded.person_info)} people, ${fmtInt(seeded.emoji)} emoji, ${fmtInt(seeded.messages)} messages in ${fmtMs(seedMs)} ms`);
    console.log('');
  },
  progress: options.progress
    ? (snap, db) => {
        const line = progressLine(snap, db);
        if (tty) process.stdout.write(`\r\x1b[K${line}`);
        else if (snap.elapsedMs - lastNonTty >= 5000) {
          lastNonTty = snap.elapsedMs;
          console.log(line);
        }
      }
    : undefined,
});
if (tty && options.progress) process.stdout.write('\n');
console.log(summary(report));
const ok = report.consistency.every((c) => c.ok) && report.drive.errors === 0;
process.exitCode = ok ? 0 : 1;
