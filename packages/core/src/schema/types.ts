/**
 * The shape of the schema contract: every table the Python bot created, column by column.
 * `tables.ts` holds the data (generated from the contract by `scripts/gen-tables.ts`).
 */

/** How a column's values are typed in JavaScript and stored in each database. */
export type ColumnKind = 'integer' | 'bigint' | 'float' | 'text' | 'boolean' | 'datetime';

/**
 * A default the Python module applied on the client side at insert time.
 * - `value`: a literal.
 * - `now`: naive local time (`datetime.now`), stored as a DateTime.
 * - `utcnow`: naive UTC time (`datetime.utcnow`), stored as a DateTime.
 * - `epoch`: float seconds since the epoch (`time.time`).
 * - `nowText`: the current local time as text. Python's default for `online_time.timestamp`
 *   was the repr of a method (a bug); callers always passed `str(datetime.now())`, which is
 *   what botdb writes instead.
 */
export type ColumnDefault =
  | { readonly value: string | number | boolean }
  | { readonly fn: 'now' | 'utcnow' | 'epoch' | 'nowText' };

export interface ColumnDef {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Declared type on SQLite, exactly as the Python module's DDL wrote it. */
  readonly sqliteType: string;
  /** Declared type on PostgreSQL. */
  readonly pgType: string;
  readonly nullable: boolean;
  readonly primary?: true;
  readonly default?: ColumnDefault;
  /** Set again on every update that does not set the column itself (`onupdate=datetime.now`). */
  readonly onUpdate?: 'now';
}

export interface IndexDef {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
}

export interface TableDef {
  /** The Python class name (`ChatStreams`); the name entities are exported under. */
  readonly model: string;
  readonly table: string;
  readonly columns: readonly ColumnDef[];
  readonly indexes: readonly IndexDef[];
  /** Table-level UNIQUE constraints (unnamed ones get SQLite autoindexes). */
  readonly uniques: readonly { readonly name: string | null; readonly columns: readonly string[] }[];
  /** In the Python module's `MODEL_MAPPING` (every model but the napcat plugin table). */
  readonly inModelMapping: boolean;
}
