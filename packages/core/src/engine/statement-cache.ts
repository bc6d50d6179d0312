/**
 * Prepared statements by SQL text, bounded: filters of many shapes would otherwise grow it
 * without end. When full it starts over; the hot statements are prepared again on their next
 * use. Forgetting an entry frees what this process holds (a better-sqlite3 statement is
 * finalized when collected), not what a server holds: PostgreSQL's named statements are
 * bounded per connection by `PgStatements`, which deallocates them.
 */
export class StatementCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly max = 512) {}

  /** The entry for `sql`, made with `prepare` the first time. */
  get(sql: string, prepare: (sql: string) => T): T {
    let entry = this.entries.get(sql);
    if (entry === undefined) {
      if (this.entries.size >= this.max) this.entries.clear();
      entry = prepare(sql);
      this.entries.set(sql, entry);
    }
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }
}
