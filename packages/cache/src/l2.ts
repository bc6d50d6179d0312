/**
 * L2: a keyv store shared by processes. Entries carry the generation of their entity at the
 * moment their read started; every commit that changes an entity gives it a new generation
 * (before the commit and again after it), so an entry read from L2 is used only if no change
 * to its entity finished since it was read. Errors are counted; a failing L2 never fails a read.
 *
 * While the invalidation bus is down, L2 is suspended: no calls at all (Redis is most likely
 * down too, and a client's offline queue would pile them up). It is used again only once every
 * entity got a new generation after the gap (`resume`), since the generation bumps of commits
 * made meanwhile were skipped.
 */
import { randomUUID } from 'node:crypto';
import type Keyv from 'keyv';
import type { Row } from '@botdb/core';
import { deserialize, serialize } from './serialize.js';

interface Stored {
  readonly gen: string;
  readonly value: string;
}

export class L2Store {
  errors = 0;
  hits = 0;
  private active = true;
  // Bumped by every suspend, so that a resume that raced a new gap does not reactivate.
  private epoch = 0;

  constructor(
    private readonly keyv: Keyv,
    private readonly ttlFor: (entity: string, negative: boolean) => number,
    private readonly timeoutMs: number,
  ) {}

  // A store that hangs (Redis down, reconnecting) must not hang reads.
  private timed<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('L2 timed out')), this.timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private genKey(entity: string): string {
    return `botdb:gen:${entity}`;
  }

  /** The entity's generation and the entry, if it is current. */
  async lookup(entity: string, key: string): Promise<{ gen: string | undefined; value: readonly Row[] | number | undefined }> {
    if (!this.active) return { gen: undefined, value: undefined };
    try {
      const [gen, stored] = (await this.timed(this.keyv.getMany([this.genKey(entity), `botdb:q:${key}`]))) as [string | undefined, Stored | undefined];
      if (stored && gen !== undefined && stored.gen === gen) {
        this.hits++;
        return { gen, value: deserialize<readonly Row[] | number>(stored.value) };
      }
      return { gen, value: undefined };
    } catch {
      this.errors++;
      return { gen: undefined, value: undefined };
    }
  }

  /** Stores a value read under generation `gen` (skipped when the generation is unknown). */
  async store(entity: string, key: string, gen: string | undefined, value: readonly Row[] | number, negative: boolean): Promise<void> {
    if (gen === undefined || !this.active) return;
    try {
      await this.timed(this.keyv.set(`botdb:q:${key}`, { gen, value: serialize(value) } satisfies Stored, this.ttlFor(entity, negative)));
    } catch {
      this.errors++;
    }
  }

  /** Starts a new generation for each entity: every entry stored before is stale. */
  async bump(entities: Iterable<string>): Promise<void> {
    // Suspended, no process that lost the bus uses L2, and `resume` renews every generation.
    if (!this.active) return;
    try {
      await this.timed(Promise.all([...entities].map((e) => this.keyv.set(this.genKey(e), randomUUID()))));
    } catch {
      this.errors++;
    }
  }

  /** Makes sure every entity has a generation, so that reads can fill L2. */
  async ensure(entities: Iterable<string>): Promise<void> {
    const keys = [...entities].map((e) => this.genKey(e));
    try {
      const gens = (await this.timed(this.keyv.getMany(keys))) as (string | undefined)[];
      await this.timed(Promise.all(keys.filter((_, i) => gens[i] === undefined).map((k) => this.keyv.set(k, randomUUID()))));
    } catch {
      this.errors++;
    }
  }

  /** Stops every L2 call until `resume` succeeds. */
  suspend(): void {
    this.active = false;
    this.epoch++;
  }

  /**
   * Gives every entity a new generation, so that no entry stored before (by any process) is
   * used, and then uses L2 again. The generations are read before and after: a keyv store may
   * swallow a failed write. Resolves whether it succeeded; on failure L2 stays suspended.
   */
  async resume(entities: Iterable<string>): Promise<boolean> {
    const epoch = this.epoch;
    const keys = [...entities].map((e) => this.genKey(e));
    try {
      const before = (await this.timed(this.keyv.getMany(keys))) as (string | undefined)[];
      await this.timed(Promise.all(keys.map((k) => this.keyv.set(k, randomUUID()))));
      const after = (await this.timed(this.keyv.getMany(keys))) as (string | undefined)[];
      // Another process's new generation is as good as ours; a missing or unchanged one is not.
      if (after.some((gen, i) => gen === undefined || gen === before[i])) return false;
    } catch {
      this.errors++;
      return false;
    }
    if (epoch !== this.epoch) return false;
    this.active = true;
    return true;
  }
}
