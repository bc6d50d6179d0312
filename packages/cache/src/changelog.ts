/**
 * Recent changes, by sequence number, so that a read which started before a change and
 * finishes after it does not fill the cache with what it read (the classic fill race).
 */
import { matchesFilter, type Filter, type Row, type TimeZoneMode } from '@botdb/core';

interface Logged {
  readonly seq: number;
  readonly at: number;
  /** Rows of the change; null means "anything of this entity". */
  readonly rows: readonly Row[] | null;
}

export class ChangeLog {
  private seqNo = 0;
  private readonly byEntity = new Map<string, Logged[]>();
  /** Changes at or below this sequence number were forgotten. */
  private forgottenUpTo = 0;

  constructor(
    private readonly keepMs: number,
    private readonly zone: TimeZoneMode,
  ) {}

  /** The current sequence number: take it when a read starts. */
  get seq(): number {
    return this.seqNo;
  }

  record(entity: string, rows: readonly Row[] | null): void {
    const now = Date.now();
    let list = this.byEntity.get(entity);
    if (!list) {
      list = [];
      this.byEntity.set(entity, list);
    }
    list.push({ seq: ++this.seqNo, at: now, rows });
    // Forget old changes; any read still running from before then will not fill.
    let drop = 0;
    while (drop < list.length && now - list[drop]!.at > this.keepMs) drop++;
    if (drop > 0) {
      this.forgottenUpTo = Math.max(this.forgottenUpTo, list[drop - 1]!.seq);
      list.splice(0, drop);
    }
  }

  /** Whether a change after `since` could affect a read of `entity` with `filter`. */
  changedSince(since: number, entity: string, filter: Filter): boolean {
    if (since < this.forgottenUpTo) return true;
    const list = this.byEntity.get(entity);
    if (!list) return false;
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i]!;
      if (c.seq <= since) break;
      if (c.rows === null || c.rows.some((r) => matchesFilter(filter, r, this.zone))) return true;
    }
    return false;
  }
}
