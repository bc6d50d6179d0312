/**
 * Connection pool gauges, read at scrape time from the knex pool MikroORM runs on (tarn:
 * `numUsed()`, `numFree()`, `numPendingAcquires()`, `max`). PostgreSQL pools up to
 * `postgresql.poolSize` connections; SQLite's pool holds MikroORM's one connection (botdb's
 * fast read path on better-sqlite3 uses a separate read-only connection outside any pool). A
 * driver without such a pool exports nothing.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '@botdb/core';

interface TarnLike {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max?: number;
}

/** What the pool adds to `getStats`. */
export interface PoolStats {
  readonly used: number;
  readonly free: number;
  readonly pending: number;
  readonly max: number | null;
}

/** The knex pool of `db`, when the driver has one with tarn's counting methods. */
function findPool(db: Database): (() => TarnLike | undefined) | undefined {
  const em = db.orm.em as unknown as { getKnex?: () => { client?: { pool?: unknown } } };
  if (typeof em.getKnex !== 'function') return undefined;
  const client = em.getKnex().client;
  const isTarn = (p: unknown): p is TarnLike =>
    typeof p === 'object' && p !== null && ['numUsed', 'numFree', 'numPendingAcquires'].every((f) => typeof (p as Record<string, unknown>)[f] === 'function');
  if (!isTarn(client?.pool)) return undefined;
  // Read the pool through the client each time: knex replaces it if it is re-initialised.
  return () => (isTarn(client?.pool) ? client.pool : undefined);
}

/** The pool gauges of one database; `attach` returns undefined when the driver exposes no pool. */
export class PoolMetrics {
  private constructor(private readonly pool: () => TarnLike | undefined) {}

  /** Registers the pool gauges when `db`'s driver exposes a pool. */
  static attach(registry: Registry, db: Database): PoolMetrics | undefined {
    const pool = findPool(db);
    if (pool === undefined) return undefined;
    const m = new PoolMetrics(pool);
    new Gauge({
      name: 'botdb_pool_connections',
      help: 'Connections of the database pool by state: used (checked out), free (idle), pending (callers waiting for one).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const s = m.stats();
        // A closed database has no pool: publish nothing rather than its last figures.
        this.reset();
        if (s === undefined) return;
        this.set({ state: 'used' }, s.used);
        this.set({ state: 'free' }, s.free);
        this.set({ state: 'pending' }, s.pending);
      },
    });
    if (typeof pool()?.max === 'number') {
      new Gauge({
        name: 'botdb_pool_max_connections',
        help: 'The most connections the database pool opens.',
        registers: [registry],
        collect() {
          const max = m.stats()?.max;
          if (max !== undefined && max !== null) this.set(max);
        },
      });
    }
    return m;
  }

  /** The pool's figures now, or undefined once it is gone. */
  stats(): PoolStats | undefined {
    const p = this.pool();
    if (p === undefined) return undefined;
    return { used: p.numUsed(), free: p.numFree(), pending: p.numPendingAcquires(), max: typeof p.max === 'number' ? p.max : null };
  }
}
