/**
 * The cross-process invalidation bus: every commit's row changes, published on a Redis channel;
 * every other process drops what they touch. Failures are counted, never thrown.
 */
import { randomUUID } from 'node:crypto';
import type { Row, RowChange } from '@botdb/core';
import { deserialize, serialize } from './serialize.js';

/** A change as it travels: the entity by name. */
export interface WireChange {
  readonly entity: string;
  readonly kind: RowChange['kind'];
  readonly key?: number;
  readonly before?: Row;
  readonly after?: Row;
}

interface Message {
  readonly origin: string;
  readonly changes: readonly WireChange[];
}

type RedisClient = {
  connect(): Promise<unknown>;
  quit(): Promise<unknown>;
  publish(channel: string, message: string): Promise<number>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  duplicate(): RedisClient;
  on(event: 'error', listener: (e: unknown) => void): unknown;
};

export class InvalidationBus {
  private readonly origin = randomUUID();
  private pub: RedisClient | undefined;
  private sub: RedisClient | undefined;
  errors = 0;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onRemote: (changes: readonly WireChange[]) => void,
  ) {}

  async start(): Promise<void> {
    const { createClient } = await import('@redis/client');
    const pub = createClient({ url: this.url }) as unknown as RedisClient;
    pub.on('error', () => this.errors++);
    const sub = pub.duplicate();
    sub.on('error', () => this.errors++);
    await pub.connect();
    await sub.connect();
    await sub.subscribe(this.channel, (message) => {
      try {
        const msg = deserialize<Message>(message);
        if (msg.origin !== this.origin) this.onRemote(msg.changes);
      } catch {
        this.errors++;
      }
    });
    this.pub = pub;
    this.sub = sub;
  }

  /** Publishes changes; resolves once Redis accepted them (or the attempt failed). */
  async publish(changes: readonly RowChange[]): Promise<void> {
    if (!this.pub) return;
    const wire: WireChange[] = changes.map((c) => ({ entity: c.entity.name, kind: c.kind, key: c.key, before: c.before, after: c.after }));
    try {
      await this.pub.publish(this.channel, serialize({ origin: this.origin, changes: wire } satisfies Message));
    } catch {
      this.errors++;
    }
  }

  async stop(): Promise<void> {
    const clients = [this.sub, this.pub];
    this.sub = undefined;
    this.pub = undefined;
    for (const c of clients) await c?.quit().catch(() => undefined);
  }
}
