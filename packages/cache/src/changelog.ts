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

/** One entity's changes, oldest first from `head` (forgetting advances `head`; the array is compacted now and then). */
interface EntityLog {
  items: Logged[];
  head: number;
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
  private readonly byEntity = new Map<string, EntityLog>();
  private readonly inDoubt = new Map<RowChange, InDoubt>();
  /** Changes at or below this sequence number were forgotten. */
  private forgottenUpTo = 0;
  private lastPrune = Date.now();

  constructor(private readonly options: ChangeLogOptions) {}

  /** The current sequence number: take it when a read starts. */
  get seq(): number {
    return this.seqNo;
  }

  /** Changes remembered, over all entities (for tests and stats). */
  get size(): number {
    let n = this.inDoubt.size;
    for (const log of this.byEntity.values()) n += log.items.length - log.head;
    return n;
  }

  record(entity: string, rows: readonly Row[] | null): void {
    let log = this.byEntity.get(entity);
    if (!log) {
      log = { items: [], head: 0 };
      this.byEntity.set(entity, log);
    }
    const now = Date.now();
    log.items.push({ seq: ++this.seqNo, at: now, rows });
    const over = log.items.length - log.head - this.options.maxPerEntity;
    if (over > 0) this.forget(log, over);
    // Also by time here: a busy loop of awaits that complete without I/O starves timers.
    if (now - this.lastPrune > this.options.keepMs / 2) this.prune(now);
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
    this.lastPrune = now;
    const keepMs = this.options.keepMs;
    for (const [entity, log] of this.byEntity) {
      let drop = 0;
      while (log.head + drop < log.items.length && now - log.items[log.head + drop]!.at > keepMs) drop++;
      if (drop > 0) this.forget(log, drop);
      if (log.head === log.items.length) this.byEntity.delete(entity);
    }
    for (const [change, d] of this.inDoubt) if (now - d.at > keepMs) this.inDoubt.delete(change);
  }

  private forget(log: EntityLog, n: number): void {
    log.head += n;
    this.forgottenUpTo = Math.max(this.forgottenUpTo, log.items[log.head - 1]!.seq);
    // Compact once the forgotten part is as large as the rest: amortised O(1) per change.
    if (log.head >= 1024 && log.head * 2 >= log.items.length) {
      log.items = log.items.slice(log.head);
      log.head = 0;
    }
  }

  /** Whether a change after `since`, or one not yet committed, could affect a read of `entity` with `filter`. */
  changedSince(since: number, entity: string, filter: Filter): boolean {
    if (since < this.forgottenUpTo) return true;
    const zone = this.options.zone;
    for (const d of this.inDoubt.values()) {
      if (d.entity === entity && (d.rows === null || d.rows.some((r) => matchesFilter(filter, r, zone)))) return true;
    }
    const log = this.byEntity.get(entity);
    if (!log) return false;
    for (let i = log.items.length - 1; i >= log.head; i--) {
      const c = log.items[i]!;
      if (c.seq <= since) break;
      if (c.rows === null || c.rows.some((r) => matchesFilter(filter, r, zone))) return true;
    }
    return false;
  }
}
