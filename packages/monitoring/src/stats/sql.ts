/**
 * What monitoring reads from an SQL string: its verb, the entity it is about, and its shape for
 * logs (no values). Statements repeat, so the classification is memoised per SQL text.
 */
import { entityDefs } from '@botdb/core';

/** The statement verbs used as the `verb` label. Anything else (PRAGMA, BEGIN, WITH...) is `other`. */
export type Verb = 'select' | 'insert' | 'update' | 'delete' | 'other';

/** A statement's verb and entity, as labels. */
export interface StatementLabels {
  readonly verb: Verb;
  /** The entity name (`Messages`), or `unknown` when the statement names no botdb table. */
  readonly entity: string;
}

const MAX_SHAPE = 500;
const MAX_MEMO = 1000;
const VERBS: ReadonlySet<string> = new Set(['select', 'insert', 'update', 'delete']);
// The first table a statement names after FROM, INTO or UPDATE, optionally quoted and
// schema-qualified ("public"."messages", `messages`, messages).
const TABLE = /\b(?:from|into|update)\s+(?:[`"[]?\w+[`"\]]?\.)?[`"[]?(\w+)[`"\]]?/i;

/** Classifies statements, memoising by SQL text (statements are few shapes, run many times). */
export class StatementClassifier {
  private readonly byTable: ReadonlyMap<string, string>;
  private readonly memo = new Map<string, StatementLabels>();

  constructor() {
    this.byTable = new Map(entityDefs().map((d) => [d.table.table.toLowerCase(), d.name]));
  }

  /** The verb and entity of `sql`; `entity` wins when the caller already knows it. */
  classify(sql: string, entity?: string): StatementLabels {
    let labels = this.memo.get(sql);
    if (labels === undefined) {
      // Dynamic SQL (values inlined by a user's raw query) could grow the memo without bound:
      // start over rather than track recency; the common shapes come back at once.
      if (this.memo.size >= MAX_MEMO) this.memo.clear();
      const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? '';
      const table = TABLE.exec(sql)?.[1]?.toLowerCase();
      labels = Object.freeze({
        verb: VERBS.has(verb) ? (verb as Verb) : 'other',
        entity: (table !== undefined ? this.byTable.get(table) : undefined) ?? 'unknown',
      });
      this.memo.set(sql, labels);
    }
    return entity === undefined || entity === labels.entity ? labels : { verb: labels.verb, entity };
  }
}

/**
 * The shape of a statement for a log line: string and number literals become `?` (MikroORM
 * inlines values when its `query-params` debug level is on, botdb inlines validated LIMITs),
 * whitespace collapses, lists of placeholders, rows or columns keep their first item, and long
 * statements are cut at 500 characters.
 */
export function statementShape(sql: string): string {
  const shape = sql
    .replace(/\bX'[0-9a-f]*'/gi, '?')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/(?<![\w$."`])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '?')
    .replace(/\$\d+/g, '?')
    .replace(/\s+/g, ' ')
    // Long lists say little and vary in length (IN lists, multi-row VALUES, column lists): keep
    // the first item, so one statement shape reads as one.
    .replace(/\?(?: ?, ?\?){2,}/g, '?, …')
    .replace(/(\([?, …]+\))(?: ?, ?\([?, …]+\))+/g, '$1, …')
    .replace(/((?:\w+\.)?["`]\w+["`])(?: ?, ?(?:\w+\.)?["`]\w+["`]){3,}/g, '$1, …')
    .trim();
  return shape.length > MAX_SHAPE ? `${shape.slice(0, MAX_SHAPE)}…` : shape;
}
