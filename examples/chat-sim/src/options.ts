/**
 * The simulator's options: one `DEFAULTS` constant, one resolver that applies defaults
 * (`=== undefined`, never truthiness), validates and freezes, and the CLI flags that map onto it.
 */
import { parseArgs } from 'node:util';

/** The shape of the traffic: who talks where, how often, and what a turn does besides reading. */
export interface WorkloadOptions {
  /** Chat streams the bot is in (groups and private chats). @default 200 */
  chats: number;
  /** People the bot knows (PersonInfo rows). @default 2000 */
  people: number;
  /** Share of chats that are groups; the rest are private chats. @default 0.8 */
  groupShare: number;
  /** Active members per group (drawn from all people, popular people are in many groups). @default 40 */
  membersPerGroup: number;
  /**
   * Zipf exponent of chat popularity: 0 is uniform; 1 (classic Zipf) sends about 60 % of all
   * messages to the busiest 10 % of chats and 17 % to the busiest one (what busy bots see: a few
   * hot groups, a long tail).
   * @default 1
   */
  chatSkew: number;
  /** Zipf exponent of who speaks within a group. @default 1 */
  senderSkew: number;
  /** Emoji the bot has registered. @default 300 */
  emojis: number;
  /** Zipf exponent of which emoji is used. @default 1 */
  emojiSkew: number;
  /** Messages already in each chat before the run (history for the recent-messages read). @default 40 */
  historyPerChat: number;
  /** Share of turns where the bot replies: one LLMUsage row and one action (store_action_info). @default 0.3 */
  replyShare: number;
  /** Share of turns that look up an emoji by hash. @default 0.1 */
  emojiShare: number;
  /** How many recent messages a turn reads for context. @default 20 */
  recentLimit: number;
  /** Seed of the workload's randomness: the same seed gives the same traffic. @default 42 */
  seed: number;
  /**
   * Tag in every generated id, so that runs against a kept database never collide.
   * @default a fresh tag per run
   */
  tag: string;
}

/** How the simulator runs. */
export interface SimOptions extends WorkloadOptions {
  /**
   * Where the data lives: `sqlite:<path>` or `postgres://...`.
   * @default a fresh SQLite file in the OS temp directory, removed at the end (see `keep`)
   */
  db: string | undefined;
  /** PostgreSQL schema for the sim's tables (left in place at the end). @default 'botdb_chat_sim' */
  pgSchema: string;
  /** Plugins by name (`cache`, `batch`, `monitoring`), or every available one. @default 'all' */
  plugins: readonly string[] | 'all';
  /**
   * `open`: messages arrive at `rate` per second whatever the bot's speed (a real bot's
   * situation; latency includes waiting). `closed`: `concurrency` chats are busy at once and a
   * new message arrives as soon as one finishes (maximum throughput).
   * @default 'open'
   */
  mode: 'open' | 'closed';
  /**
   * Target turns per second in open-loop mode. A turn writes 2.6 rows on average with the
   * default shares, so 250 turns/s is about 650 row writes/s, above the seed plan's write target
   * (> 500/s).
   * @default 250
   */
  rate: number;
  /** Turns in flight at once in closed-loop mode. @default 32 */
  concurrency: number;
  /** How long traffic runs, in seconds (seeding comes first and is not counted). @default 30 */
  durationS: number;
  /** Port of the monitoring plugin's `/metrics` server. @default 9464 */
  metricsPort: number;
  /** Keep the temp SQLite file instead of removing it. @default false */
  keep: boolean;
  /** Show the live progress line. @default true */
  progress: boolean;
}

/** Every default of the simulator. */
export const DEFAULTS = Object.freeze({
  chats: 200,
  people: 2000,
  groupShare: 0.8,
  membersPerGroup: 40,
  chatSkew: 1,
  senderSkew: 1,
  emojis: 300,
  emojiSkew: 1,
  historyPerChat: 40,
  replyShare: 0.3,
  emojiShare: 0.1,
  recentLimit: 20,
  seed: 42,
  db: undefined,
  pgSchema: 'botdb_chat_sim',
  plugins: 'all',
  mode: 'open',
  rate: 250,
  concurrency: 32,
  durationS: 30,
  metricsPort: 9464,
  keep: false,
  progress: true,
} as const) satisfies Omit<SimOptions, 'tag'>;

/** A bad option: names the option, what was expected, what came, and the default. */
export class OptionError extends Error {
  constructor(option: string, expected: string, got: unknown, fallback: unknown) {
    super(`${option}: expected ${expected}, got ${JSON.stringify(got)}. Default: ${JSON.stringify(fallback)}.`);
    this.name = 'OptionError';
  }
}

function int(input: Record<string, unknown>, key: string, fallback: number, min: number): number {
  const v = input[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new OptionError(key, `an integer >= ${min}`, v, fallback);
  return v;
}

function num(input: Record<string, unknown>, key: string, fallback: number, min: number, max = Infinity): number {
  const v = input[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new OptionError(key, max === Infinity ? `a number >= ${min}` : `a number in [${min}, ${max}]`, v, fallback);
  }
  return v;
}

/** Applies the workload defaults to `input`, validates, and freezes. */
export function resolveWorkloadOptions(input: Partial<WorkloadOptions> = {}): Readonly<WorkloadOptions> {
  const i = input as Record<string, unknown>;
  const tag = input.tag === undefined ? Date.now().toString(36) : input.tag;
  if (typeof tag !== 'string' || !/^[a-z0-9]{1,16}$/.test(tag)) throw new OptionError('tag', '1-16 characters [a-z0-9]', tag, 'a fresh tag');
  return Object.freeze({
    chats: int(i, 'chats', DEFAULTS.chats, 1),
    people: int(i, 'people', DEFAULTS.people, 1),
    groupShare: num(i, 'groupShare', DEFAULTS.groupShare, 0, 1),
    membersPerGroup: int(i, 'membersPerGroup', DEFAULTS.membersPerGroup, 1),
    chatSkew: num(i, 'chatSkew', DEFAULTS.chatSkew, 0),
    senderSkew: num(i, 'senderSkew', DEFAULTS.senderSkew, 0),
    emojis: int(i, 'emojis', DEFAULTS.emojis, 1),
    emojiSkew: num(i, 'emojiSkew', DEFAULTS.emojiSkew, 0),
    historyPerChat: int(i, 'historyPerChat', DEFAULTS.historyPerChat, 0),
    replyShare: num(i, 'replyShare', DEFAULTS.replyShare, 0, 1),
    emojiShare: num(i, 'emojiShare', DEFAULTS.emojiShare, 0, 1),
    recentLimit: int(i, 'recentLimit', DEFAULTS.recentLimit, 1),
    seed: int(i, 'seed', DEFAULTS.seed, 0),
    tag,
  });
}

/** Applies every default to `input`, validates, and freezes. */
export function resolveSimOptions(input: Partial<SimOptions> = {}): Readonly<SimOptions> {
  const i = input as Record<string, unknown>;
  const mode = input.mode === undefined ? DEFAULTS.mode : input.mode;
  if (mode !== 'open' && mode !== 'closed') throw new OptionError('mode', '"open" or "closed"', mode, DEFAULTS.mode);
  const plugins = input.plugins === undefined ? DEFAULTS.plugins : input.plugins;
  if (plugins !== 'all' && !(Array.isArray(plugins) && plugins.every((p) => typeof p === 'string'))) {
    throw new OptionError('plugins', '"all", "none" or a list of names', plugins, DEFAULTS.plugins);
  }
  const db = input.db;
  if (db !== undefined && (typeof db !== 'string' || !/^(sqlite:|postgres(ql)?:\/\/)/.test(db))) {
    throw new OptionError('db', '"sqlite:<path>" or "postgres://user@host:port/db"', db, 'a temp SQLite file');
  }
  const pgSchema = input.pgSchema === undefined ? DEFAULTS.pgSchema : input.pgSchema;
  if (typeof pgSchema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(pgSchema)) throw new OptionError('pgSchema', 'an SQL identifier', pgSchema, DEFAULTS.pgSchema);
  const flag = (key: 'keep' | 'progress', fallback: boolean): boolean => {
    const v = input[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw new OptionError(key, 'true or false', v, fallback);
    return v;
  };
  return Object.freeze({
    ...resolveWorkloadOptions(input),
    db,
    pgSchema,
    plugins: plugins === 'all' ? 'all' : Object.freeze([...plugins]),
    mode,
    rate: num(i, 'rate', DEFAULTS.rate, 0.1),
    concurrency: int(i, 'concurrency', DEFAULTS.concurrency, 1),
    durationS: num(i, 'durationS', DEFAULTS.durationS, 0.1),
    metricsPort: int(i, 'metricsPort', DEFAULTS.metricsPort, 0),
    keep: flag('keep', DEFAULTS.keep),
    progress: flag('progress', DEFAULTS.progress),
  });
}

/** The CLI flags: `--name value`, each mapping onto one option. */
const FLAGS = {
  duration: { key: 'durationS', kind: 'number' },
  mode: { key: 'mode', kind: 'string' },
  rate: { key: 'rate', kind: 'number' },
  concurrency: { key: 'concurrency', kind: 'number' },
  db: { key: 'db', kind: 'string' },
  'pg-schema': { key: 'pgSchema', kind: 'string' },
  plugins: { key: 'plugins', kind: 'list' },
  chats: { key: 'chats', kind: 'number' },
  people: { key: 'people', kind: 'number' },
  'group-share': { key: 'groupShare', kind: 'number' },
  members: { key: 'membersPerGroup', kind: 'number' },
  'chat-skew': { key: 'chatSkew', kind: 'number' },
  'sender-skew': { key: 'senderSkew', kind: 'number' },
  emojis: { key: 'emojis', kind: 'number' },
  'emoji-skew': { key: 'emojiSkew', kind: 'number' },
  history: { key: 'historyPerChat', kind: 'number' },
  'reply-share': { key: 'replyShare', kind: 'number' },
  'emoji-share': { key: 'emojiShare', kind: 'number' },
  recent: { key: 'recentLimit', kind: 'number' },
  seed: { key: 'seed', kind: 'number' },
  tag: { key: 'tag', kind: 'string' },
  'metrics-port': { key: 'metricsPort', kind: 'number' },
} as const;

/** What `--help` prints. */
export const USAGE = `botdb chat-sim: a busy bot's traffic on botdb

  tsx src/main.ts [flags]          (pnpm start runs it with the defaults)

run
  --duration <s>        traffic time in seconds                       (${DEFAULTS.durationS})
  --mode open|closed    open: fixed arrival rate; closed: max throughput (${DEFAULTS.mode})
  --rate <n>            open-loop target turns/s                      (${DEFAULTS.rate})
  --concurrency <n>     closed-loop turns in flight                   (${DEFAULTS.concurrency})
  --db <url>            sqlite:<path> | postgres://user@host:port/db  (temp SQLite file)
  --pg-schema <name>    PostgreSQL schema for the tables              (${DEFAULTS.pgSchema})
  --plugins <list>      all | none | cache,batch,monitoring           (${DEFAULTS.plugins})
  --metrics-port <n>    /metrics port when monitoring is on           (${DEFAULTS.metricsPort})
  --keep                keep the temp SQLite file
  --no-progress         no live progress line
workload
  --chats <n>           chat streams                                  (${DEFAULTS.chats})
  --people <n>          people                                        (${DEFAULTS.people})
  --group-share <0-1>   share of chats that are groups                (${DEFAULTS.groupShare})
  --members <n>         active members per group                      (${DEFAULTS.membersPerGroup})
  --chat-skew <s>       Zipf exponent of chat popularity              (${DEFAULTS.chatSkew})
  --sender-skew <s>     Zipf exponent of senders within a group       (${DEFAULTS.senderSkew})
  --emojis <n>          registered emoji                              (${DEFAULTS.emojis})
  --emoji-skew <s>      Zipf exponent of emoji use                    (${DEFAULTS.emojiSkew})
  --history <n>         messages per chat before the run              (${DEFAULTS.historyPerChat})
  --reply-share <0-1>   turns with an LLM call + action record        (${DEFAULTS.replyShare})
  --emoji-share <0-1>   turns with an emoji lookup                    (${DEFAULTS.emojiShare})
  --recent <n>          recent messages read per turn                 (${DEFAULTS.recentLimit})
  --seed <n>            workload seed                                 (${DEFAULTS.seed})
`;

/** Parses CLI flags into options (validated later by `resolveSimOptions`); `null` means `--help`. */
export function parseSimArgs(argv: readonly string[]): Partial<SimOptions> | null {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' }, keep: { type: 'boolean' }, 'no-progress': { type: 'boolean' } };
  for (const name of Object.keys(FLAGS)) options[name] = { type: 'string' };
  const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  if (values.help === true) return null;
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(FLAGS)) {
    const raw = values[name];
    if (typeof raw !== 'string') continue;
    if (spec.kind === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new OptionError(`--${name}`, 'a number', raw, DEFAULTS[spec.key as keyof typeof DEFAULTS] ?? null);
      out[spec.key] = n;
    } else if (spec.kind === 'list') {
      out[spec.key] = raw === 'all' ? 'all' : raw === 'none' || raw === '' ? [] : raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    } else {
      out[spec.key] = raw;
    }
  }
  if (values.keep === true) out.keep = true;
  if (values['no-progress'] === true) out.progress = false;
  return out as Partial<SimOptions>;
}
