/**
 * The cross-process invalidation bus: every commit's row changes, published on a Redis channel;
 * every other process drops what they touch. Failures are counted, never thrown, and nothing
 * waits on Redis longer than `ackTimeoutMs`: while Redis is unreachable the bus is down, and
 * the cache is told so (`down`), and told again when it is back (`up`), since whatever was
 * published in between was lost.
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

/** What the bus tells its cache. */
export interface BusListener {
  /** Changes another process committed. */
  remote(changes: readonly WireChange[]): void;
  /** The bus stopped hearing the others (Redis unreachable): their changes from now on are lost. */
  down(): void;
  /** The bus hears the others again, after a `down`: what they published in between was lost. */
  up(): void;
}

interface Message {
  readonly origin: string;
  readonly id: number;
  readonly changes: readonly WireChange[];
}

type RedisClient = {
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
  publish(channel: string, message: string): Promise<number>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  duplicate(): RedisClient;
  on(event: 'error' | 'ready' | 'end', listener: (e: unknown) => void): unknown;
};

interface Waiting {
  acks: number;
  expected: number | undefined;
  readonly done: (ok: boolean) => void;
}

// Reconnect forever, quickly at first, then once a second: a cache that is down serves misses,
// so getting back soon matters more than sparing a stopped Redis some refused connections.
function retryIn(retries: number): number {
  return Math.min(50 * 2 ** retries, 1_000) + Math.floor(Math.random() * 50);
}

/**
 * Publishing waits until every other subscribed process has applied the changes (each acks on
 * the publisher's own ack channel), so that once a write resolves no process serves what it
 * replaced. The publish and the acks together wait at most `ackTimeoutMs`; a process that does
 * not ack in time, or a publish Redis did not take, is counted as an error.
 */
export class InvalidationBus {
  private readonly origin = randomUUID();
  private pub: RedisClient | undefined;
  private sub: RedisClient | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, Waiting>();
  // Our listeners are registered with the subscriber client, which re-subscribes them by itself
  // on every reconnect before it reports ready.
  private subscribed = false;
  private subscribing = false;
  private connected = false;
  private downSince = Date.now();
  private started = false;
  private stopped = false;
  private settle: (() => void) | undefined;
  errors = 0;
  /** Times the bus came back after being down. */
  gaps = 0;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly ackTimeoutMs: number,
    private readonly listener: BusListener,
  ) {}

  /** Whether the bus hears the other processes now. */
  get isConnected(): boolean {
    return this.connected;
  }

  private ackChannel(origin: string): string {
    return `${this.channel}:ack:${origin}`;
  }

  /**
   * Connects, waiting at most `ackTimeoutMs` (less if Redis refuses): resolves whether the bus is
   * connected. If not, it keeps connecting in the background and calls `up` once it is.
   */
  async start(): Promise<boolean> {
    const { createClient } = await import('@redis/client');
    // No offline queue: a command sent while Redis is unreachable fails at once, instead of
    // waiting in the client until Redis is back, which would hold every write that long.
    const pub = createClient({ url: this.url, disableOfflineQueue: true, socket: { reconnectStrategy: retryIn } }) as unknown as RedisClient;
    const sub = pub.duplicate();
    this.pub = pub;
    this.sub = sub;
    for (const client of [pub, sub]) {
      client.on('error', () => {
        this.errors++;
        this.settle?.();
        this.refresh();
      });
      client.on('ready', () => this.refresh());
      client.on('end', () => this.refresh());
      // Resolves once connected; it retries by itself while Redis is unreachable.
      client.connect().catch(() => this.errors++);
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.settle = resolve;
      timer = setTimeout(resolve, this.ackTimeoutMs);
    });
    clearTimeout(timer);
    this.settle = undefined;
    this.started = true;
    return this.connected;
  }

  // Re-evaluates the state after any client event; reports changes once started.
  private refresh(): void {
    if (this.stopped || !this.pub || !this.sub) return;
    const ready = this.pub.isReady && this.sub.isReady;
    if (ready && !this.subscribed) {
      void this.subscribe();
      return;
    }
    const connected = ready && this.subscribed;
    if (connected === this.connected) return;
    this.connected = connected;
    if (connected) this.settle?.();
    else this.downSince = Date.now();
    if (!this.started) return;
    if (connected) {
      this.gaps++;
      this.listener.up();
    } else {
      this.listener.down();
    }
  }

  private async subscribe(): Promise<void> {
    if (this.subscribing) return;
    this.subscribing = true;
    try {
      await this.sub!.subscribe(this.channel, this.onMessage);
      await this.sub!.subscribe(this.ackChannel(this.origin), this.onAck);
      this.subscribed = true;
    } catch {
      // The connection dropped before Redis confirmed (or Redis refused): the next ready tries again.
      this.errors++;
    } finally {
      this.subscribing = false;
    }
    if (this.subscribed) this.refresh();
  }

  private readonly onMessage = (message: string): void => {
    let msg: Message;
    try {
      msg = deserialize<Message>(message);
      if (msg.origin === this.origin) return;
      this.listener.remote(msg.changes);
    } catch {
      this.errors++;
      return;
    }
    this.pub?.publish(this.ackChannel(msg.origin), String(msg.id)).catch(() => this.errors++);
  };

  private readonly onAck = (message: string): void => {
    const w = this.waiting.get(Number(message));
    if (!w) return;
    w.acks++;
    if (w.expected !== undefined && w.acks >= w.expected) w.done(true);
  };

  /** Publishes changes; resolves once every other process applied them, or within `ackTimeoutMs`. */
  async publish(changes: readonly RowChange[]): Promise<void> {
    const pub = this.pub;
    if (!pub?.isReady) {
      // Redis is unreachable: no one hears this. The others' connections broke too; each stops
      // caching when it notices. A write waits until ackTimeoutMs after the bus went down, so
      // that the others have had that time to notice before it resolves; later writes, none.
      this.errors++;
      const wait = this.downSince + this.ackTimeoutMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return;
    }
    const id = ++this.nextId;
    // Without our own subscription no ack can reach us: wait for Redis to take the publish only.
    const hearsAcks = this.connected;
    const wire: WireChange[] = changes.map((c) => ({ entity: c.entity.name, kind: c.kind, key: c.key, before: c.before, after: c.after }));
    let timer: NodeJS.Timeout | undefined;
    const finished = new Promise<boolean>((resolve) => {
      this.waiting.set(id, { acks: 0, expected: undefined, done: resolve });
      timer = setTimeout(() => resolve(false), this.ackTimeoutMs);
    });
    // Not awaited by itself: a publish Redis does not answer must not outlast the timer.
    pub.publish(this.channel, serialize({ origin: this.origin, id, changes: wire } satisfies Message)).then(
      (receivers) => {
        const w = this.waiting.get(id);
        if (!w) return;
        if (!hearsAcks) return w.done(false);
        // Redis answers how many subscribers received it, this process's own included. Acks
        // may arrive before PUBLISH's own reply: count them, then compare.
        w.expected = receivers - 1;
        if (w.acks >= w.expected) w.done(true);
      },
      // Not heard (the connection broke): the timer ends the wait, as above.
      () => undefined,
    );
    try {
      if (!(await finished)) this.errors++;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.connected = false;
    const clients = [this.sub, this.pub];
    this.sub = undefined;
    this.pub = undefined;
    for (const c of clients) {
      if (!c) continue;
      // Acks still being sent are let out; a client that is reconnecting, or a Redis that does
      // not answer, has nothing to wait for.
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.ackTimeoutMs)));
      if (c.isReady) await Promise.race([c.close().catch(() => undefined), waited]);
      clearTimeout(timer);
      try {
        c.destroy();
      } catch {
        // Already closed.
      }
    }
  }
}
