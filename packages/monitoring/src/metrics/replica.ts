/**
 * Read/write-split metrics, from the surface `ReadWriteSplitPlugin` exposes: routing decisions
 * from its `route` hook (`{ target: 'primary' | 'replica', reason?: string }`), replica lag from
 * its `stats().replicaLagSeconds` (a number, or seconds by replica name) at scrape time. Reads a
 * replica answered also show as `layer="replica"` in the read metrics. Each metric exists only
 * when its hook or stats field does.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { labelField, numberField, statsReader, surfaceHook, type StatsReader, type Surface } from './surface.js';
import { Tally } from '../stats/tally.js';

/** The surface name the read/write-split plugin exposes. */
export const RW_SPLIT_PLUGIN = 'ReadWriteSplitPlugin';

/** What the read/write-split metrics add to `getStats`. */
export interface ReplicaStats {
  /** Replication lag in seconds by replica (`all` when the plugin reports one number). */
  readonly lagSeconds: Readonly<Record<string, number>>;
  /** Routing decisions seen on the plugin's `route` hook, by target. */
  readonly routes: Readonly<Record<string, number>>;
}

/** `stats().replicaLagSeconds` as seconds by replica name. */
function lagByReplica(stats: Readonly<Record<string, unknown>> | undefined): Record<string, number> | undefined {
  const single = numberField(stats, 'replicaLagSeconds');
  if (single !== undefined) return { all: single };
  const raw = stats?.replicaLagSeconds;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(raw)) if (typeof v === 'number' && Number.isFinite(v)) out[name] = v;
  return out;
}

/** The replica metrics of one database; `attach` returns undefined when no read/write split is configured. */
export class ReplicaMetrics {
  private readonly routes = new Tally();

  private constructor(private readonly read: StatsReader) {}

  /** Registers the replica metrics the surface supports. */
  static attach(registry: Registry, surface: Surface | undefined): ReplicaMetrics | undefined {
    if (surface === undefined) return undefined;
    const m = new ReplicaMetrics(statsReader(surface));
    const onRoute = surfaceHook(surface, 'route');
    if (onRoute) {
      const routes = new Counter({
        name: 'botdb_rw_routing_decisions_total',
        help: 'Reads routed by the read/write split, by target (primary, replica) and reason.',
        labelNames: ['target', 'reason'],
        registers: [registry],
      });
      onRoute((p) => {
        const target = labelField(p, 'target');
        routes.inc({ target, reason: labelField(p, 'reason') });
        m.routes.add(target);
      });
    }
    if (lagByReplica(m.read()) !== undefined) {
      new Gauge({
        name: 'botdb_replica_lag_seconds',
        help: 'Replication lag of each replica as the read/write split last measured it, in seconds.',
        labelNames: ['replica'],
        registers: [registry],
        collect() {
          const lag = lagByReplica(m.read());
          if (lag === undefined) return;
          // Replicas come and go (failover): publish exactly the ones reported now.
          this.reset();
          for (const [replica, seconds] of Object.entries(lag)) this.set({ replica }, seconds);
        },
      });
    }
    return m;
  }

  /** The read/write split's figures for `getStats`. */
  stats(): ReplicaStats {
    return { lagSeconds: lagByReplica(this.read()) ?? {}, routes: this.routes.toJSON() };
  }
}
