/**
 * Every hook of the pipeline, declared in this one file (webpack's `Compiler.hooks` pattern).
 * Each hook's tapable kind is its contract. Plugins tap them by name with a stage from `Stage`.
 *
 * Reads and writes made inside `db.session()` or `db.transaction()` run on that transaction and do not pass
 * `read`/`afterRead`/`write`: a plugin must never answer from, or fill a cache with, state that
 * may still roll back. Their changes reach `committed` when that transaction commits.
 */
import { AsyncSeriesBailHook, AsyncSeriesHook, SyncBailHook, SyncHook, type Tap } from 'tapable';
import { BotDbError } from '../errors.js';
import type { Database, CallOptions, TransactionOptions } from '../api/types.js';
import type { EntityDef } from '../entities/entities.js';
import type { Filter, OrderTerm } from '../filters/filters.js';
import type { Row } from '../schema/codec.js';

/** A read about to be answered. */
export interface ReadContext {
  /**
   * Runs this read against the database (after the barrier stages), for a plugin that answers
   * the read itself, e.g. a cache running one query for many concurrent misses. `limit` reads
   * that many rows instead of the read's own limit (a cache keeping a few rows beyond a window).
   */
  load(limit?: number): Promise<readonly Row[] | number>;
  readonly db: Database;
  readonly entity: EntityDef;
  readonly kind: 'get' | 'count';
  readonly filter: Filter;
  readonly orderBy: readonly OrderTerm[];
  /** Row limit (`single` reads use 1). */
  readonly limit: number | undefined;
  readonly single: boolean;
  /** Per-call options, e.g. `{ cache: false }`. */
  readonly options: CallOptions;
}

/** How a read was answered: rows (for `get`) or a number (for `count`), and by which layer. */
export interface ReadResult {
  readonly value: readonly Row[] | number;
  /** `db` when the database answered; plugins name their layer (`l1`, `l2`, `replica`, ...). */
  readonly source: string;
}

interface WriteBase {
  readonly db: Database;
  readonly entity: EntityDef;
  readonly options: CallOptions;
}

/** A write about to execute. Rows and data are validated and in their JS form. */
export type WriteContext = WriteBase &
  (
    | { readonly kind: 'create'; readonly rows: readonly Row[] }
    | { readonly kind: 'update'; readonly filter: Filter; readonly data: Row }
    | { readonly kind: 'delete'; readonly filter: Filter }
    | { readonly kind: 'save'; readonly keyField: string; readonly keyValue: unknown; readonly data: Row }
  );

/** What a write returns: created or saved rows, or the number of rows touched. */
export interface WriteResult {
  readonly rows?: readonly Row[];
  readonly count?: number;
}

/**
 * One committed row change. `before`/`after` are full rows where known. A `bulk` change says
 * "some rows of this entity changed, which ones is unknown" (e.g. a QueryBuilder update):
 * anything derived from that entity must be treated as changed.
 */
export interface RowChange {
  readonly entity: EntityDef;
  readonly kind: 'insert' | 'update' | 'delete' | 'bulk';
  readonly key?: number;
  readonly before?: Row;
  readonly after?: Row;
}

/** How a write outside a session ended: run by core (`db`) or taken by a plugin's `write` tap. */
export interface WriteOutcome {
  readonly result: WriteResult;
  readonly source: 'db' | 'plugin';
}

/** A data API call that threw, with the coded error it threw. */
export interface FailureEvent {
  readonly operation: 'get' | 'count' | 'create' | 'update' | 'delete' | 'save';
  /** The entity's class name, when the call named a known one. */
  readonly entity?: string;
  readonly error: unknown;
}

/** Every row change of one committed transaction. */
export interface CommitContext {
  readonly db: Database;
  readonly changes: readonly RowChange[];
}

/** A `db.session()` or `db.transaction()` about to begin its transaction. */
export interface TransactionEvent {
  readonly db: Database;
  readonly kind: 'session' | 'transaction';
  /** The options object given to `db.transaction()` (the same object): a plugin knows its own transactions by it. */
  readonly options: TransactionOptions | undefined;
}

/** One SQL statement that ran, for observers (monitoring): its shape, never its values. */
export interface QueryEvent {
  /** The statement with `?` placeholders (MikroORM's own statements as its logger reports them). */
  readonly sql: string;
  readonly durationMs: number;
  /** `botdb` for statements of the data API, `mikro-orm` for those of a user's EntityManager. */
  readonly source: 'botdb' | 'mikro-orm';
  /** The entity the statement is about, when botdb knows it. */
  readonly entity?: string;
  readonly failed: boolean;
}

/** Creates the hooks of one pipeline, frozen, with plugin errors wrapped by name. */
export function createHooks() {
  const hooks = {
    /** After the ORM is up and the schema synced: start timers, connect stores. */
    init: new AsyncSeriesHook<[Database]>(['db']),
    /**
     * First, synchronously: a tap that can answer the read from memory returns the result, and
     * the read resolves without another promise (a cache hit). `null` sends the read down the
     * full path at once (a batch barrier that must flush first); `undefined` asks the next tap.
     * Reads no tap answered go on to `read`.
     */
    lookup: new SyncBailHook<[ReadContext], ReadResult | null | undefined>(['ctx']),
    /** Before a read goes to the database; the first tap that returns a result answers it. */
    read: new AsyncSeriesBailHook<[ReadContext], ReadResult | undefined>(['ctx']),
    /** After a read was answered, with the result and who answered. */
    afterRead: new SyncHook<[ReadContext, ReadResult]>(['ctx', 'result']),
    /** Before a write executes; a tap that returns a result takes the write over. */
    write: new AsyncSeriesBailHook<[WriteContext], WriteResult | undefined>(['ctx']),
    /** After a write outside a session completed (committed, or acknowledged by the plugin that took it). */
    afterWrite: new SyncHook<[WriteContext, WriteOutcome]>(['ctx', 'outcome']),
    /**
     * Just before a transaction commits, with its row changes (it may still roll back). Lets a
     * cache drop what the commit will change, so that no read between commit and `committed`
     * is answered from stale state. Fired for data API writes and sessions.
     */
    prepare: new SyncHook<[CommitContext]>(['ctx']),
    /**
     * Before `db.session()` or `db.transaction()` begins a transaction (not one joining an open
     * one): a plugin holding writes issued earlier (batch) commits them first, so that writes a
     * process issues to a row apply in issue order.
     */
    beforeTransaction: new AsyncSeriesHook<[TransactionEvent]>(['event']),
    /** After a transaction commits, once, with every row change in it; never on rollback. */
    committed: new AsyncSeriesHook<[CommitContext]>(['ctx']),
    /** On close, before the ORM closes. Taps run in stage order: the batch stage drains first. */
    close: new AsyncSeriesHook<[Database]>(['db']),
    /**
     * After every SQL statement, botdb's and MikroORM's, with its duration. Not in DESIGN's
     * original table: botdb's fast read path bypasses MikroORM's logger, so observers need this.
     */
    query: new SyncHook<[QueryEvent]>(['event']),
    /** When a data API call throws (validation, database, plugin errors alike), before it rejects. */
    failed: new SyncHook<[FailureEvent]>(['event']),
  };
  for (const [name, hook] of Object.entries(hooks)) hook.intercept({ register: (tap) => wrapTap(name, tap) as typeof tap });
  return Object.freeze(hooks);
}

/** The pipeline's hooks. */
export type Hooks = ReturnType<typeof createHooks>;

type AnyFn = (...args: unknown[]) => unknown;

// Anything a tap throws is reported with the plugin and hook name (webpack's HookWebpackError).
function wrapTap(hook: string, tap: Tap): Tap {
  const t = tap as Tap & { fn: AnyFn; type: 'sync' | 'async' | 'promise' };
  const fn = t.fn;
  const wrap = (e: unknown) => BotDbError.inPlugin(t.name, hook, e);
  // Fixed parameters, not rest arguments: no array per call (`lookup` and `read` run per read).
  // Every hook here takes at most two arguments.
  if (t.type === 'promise') {
    t.fn = (a: unknown, b: unknown) => {
      try {
        return (fn(a, b) as Promise<unknown>).then(undefined, (e: unknown) => {
          throw wrap(e);
        });
      } catch (e) {
        return Promise.reject(wrap(e));
      }
    };
  } else if (t.type === 'sync') {
    t.fn = (a: unknown, b: unknown) => {
      try {
        return fn(a, b);
      } catch (e) {
        throw wrap(e);
      }
    };
  } else {
    t.fn = (...args) => {
      const cb = args.pop() as (err?: unknown, res?: unknown) => void;
      return fn(...args, (err?: unknown, res?: unknown) => cb(err ? wrap(err) : err, res));
    };
  }
  return t;
}
