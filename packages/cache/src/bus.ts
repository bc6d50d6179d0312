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
  readonly id: number;
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

/**
 * Publishing waits until every other subscribed process has applied the changes (each acks on
 * the publisher's own ack channel), so that once a write resolves no process serves what it
 * replaced. A process that does not ack within `ackTimeoutMs` is counted as an error.
 */
export class InvalidationBus {
  private readonly origin = randomUUID();
  private pub: RedisClient | undefined;
  private sub: RedisClient | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { acks: number; expected: number | undefined; done: () => void }>();
  errors = 0;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly ackTimeoutMs: number,
    private readonly onRemote: (changes: readonly WireChange[]) => void,
  ) {}

  private ackChannel(origin: string): string {
    return `${this.channel}:ack:${origin}`;
  }

  async start(): Promise<void> {
    const { createClient } = await import('@redis/client');
    const pub = createClient({ url: this.url }) as unknown as RedisClient;
    pub.on('error', () => this.errors++);
    const sub = pub.duplicate();
    sub.on('error', () => this.errors++);
    await pub.connect();
    await sub.connect();
    await sub.subscribe(this.channel, (message) => {
      let msg: Message;
      try {
        msg = deserialize<Message>(message);
        if (msg.origin === this.origin) return;
        this.onRemote(msg.changes);
      } catch {
        this.errors++;
        return;
      }
      pub.publish(this.ackChannel(msg.origin), String(msg.id)).catch(() => this.errors++);
    });
    await sub.subscribe(this.ackChannel(this.origin), (message) => {
      const w = this.waiting.get(Number(message));
      if (!w) return;
      w.acks++;
      if (w.expected !== undefined && w.acks >= w.expected) w.done();
    });
    this.pub = pub;
    this.sub = sub;
  }

  /** Publishes changes; resolves once every other process applied them (or on timeout/failure). */
  async publish(changes: readonly RowChange[]): Promise<void> {
    if (!this.pub) return;
    const id = ++this.nextId;
    const wire: WireChange[] = changes.map((c) => ({ entity: c.entity.name, kind: c.kind, key: c.key, before: c.before, after: c.after }));
    let timer: NodeJS.Timeout | undefined;
    const acked = new Promise<void>((resolve) => {
      this.waiting.set(id, { acks: 0, expected: undefined, done: resolve });
      timer = setTimeout(() => {
        this.errors++;
        resolve();
      }, this.ackTimeoutMs);
    });
    try {
      // Redis answers how many subscribers received it, this process's own included.
      const receivers = await this.pub.publish(this.channel, serialize({ origin: this.origin, id, changes: wire } satisfies Message));
      // Acks may arrive before PUBLISH's own reply: count them, then compare.
      const w = this.waiting.get(id)!;
      w.expected = receivers - 1;
      if (w.acks >= w.expected) w.done();
      await acked;
    } catch {
      this.errors++;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
    }
  }

  async stop(): Promise<void> {
    const clients = [this.sub, this.pub];
    this.sub = undefined;
    this.pub = undefined;
    for (const c of clients) await c?.quit().catch(() => undefined);
  }
}
