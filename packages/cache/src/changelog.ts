/**
 * Recent changes, by sequence number, so that a read which started before a change and
 * finishes after it does not fill the cache with what it read (the classic fill race); and the
 * changes prepared but not yet committed, during which no read may fill what they touch (it
 * cannot know whether it saw the commit, and a maintained count would count it twice).
 */
import { matchesFilter, type Filter, type Row, type RowChange, type TimeZoneMode } from '@botdb/core';

interface Logged {
  readonly seq: number;
  readonly at: number;
  /** Rows of the change; null means "anything of this entity". */
  readonly rows: readonly Row[] | null;
}

interface InDoubt {
  readonly entity: string;
  readonly at: number;
  readonly rows: readonly Row[] | null;
}

export interface ChangeLogOptions {
  /** How long a change is remembered. */
  readonly keepMs: number;
  /** Most changes remembered per entity; older ones are forgotten early. */
  readonly maxPerEntity: number;
  readonly zone: TimeZoneMode;
}

export class ChangeLog {
  private seqNo = 0;
  private readonly byEntity = new Map<string, Logged[]>();
  private readonly inDoubt = new Map<RowChange, InDoubt>();
  /** Changes at or below this sequence number were forgotten. */
  private forgottenUpTo = 0;

  constructor(private readonly options: ChangeLogOptions) {}

  /** The current sequence number: take it when a read starts. */
  get seq(): number {
    return this.seqNo;
  }

  /** Changes remembered, over all entities (for tests and stats). */
  get size(): number {
    let n = this.inDoubt.size;
    for (const list of this.byEntity.values()) n += list.length;
    return n;
  }

  record(entity: string, rows: readonly Row[] | null): void {
    let list = this.byEntity.get(entity);
    if (!list) {
      list = [];
      this.byEntity.set(entity, list);
    }
    list.push({ seq: ++this.seqNo, at: Date.now(), rows });
    if (list.length > this.options.maxPerEntity) this.forget(list, list.length - this.options.maxPerEntity);
  }

  /** A change about to commit: until `settle`, no read it could affect fills. */
  prepare(change: RowChange, rows: readonly Row[] | null): void {
    this.inDoubt.set(change, { entity: change.entity.name, at: Date.now(), rows });
  }

  /** The change committed (a rolled-back one is forgotten by `prune` after `keepMs`). */
  settle(change: RowChange): void {
    this.inDoubt.delete(change);
  }

  /** Forgets what is older than `keepMs`; any read still running from before then will not fill. */
  prune(now = Date.now()): void {
    const keepMs = this.options.keepMs;
    for (const [entity, list] of this.byEntity) {
      let drop = 0;
      while (drop < list.length && now - list[drop]!.at > keepMs) drop++;
      if (drop > 0) this.forget(list, drop);
      if (list.length === 0) this.byEntity.delete(entity);
    }
    for (const [change, d] of this.inDoubt) if (now - d.at > keepMs) this.inDoubt.delete(change);
  }

  private forget(list: Logged[], n: number): void {
    this.forgottenUpTo = Math.max(this.forgottenUpTo, list[n - 1]!.seq);
    list.splice(0, n);
  }

  /** Whether a change after `since`, or one not yet committed, could affect a read of `entity` with `filter`. */
  changedSince(since: number, entity: string, filter: Filter): boolean {
    if (since < this.forgottenUpTo) return true;
    const zone = this.options.zone;
    for (const d of this.inDoubt.values()) {
      if (d.entity === entity && (d.rows === null || d.rows.some((r) => matchesFilter(filter, r, zone)))) return true;
    }
    const list = this.byEntity.get(entity);
    if (!list) return false;
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i]!;
      if (c.seq <= since) break;
      if (c.rows === null || c.rows.some((r) => matchesFilter(filter, r, zone))) return true;
    }
    return false;
  }
}
