/**
 * Where the manager daemon's dashboard reads from: the swarm as the service catalog
 * last read it (no engine call of its own), the store, and the autoscaler's memory of
 * its pools. Metric history changes once a monitor refresh, so it is read at most
 * every 30 s; tasks waiting for a place and Ready workers are counted at each reading
 * (the store keeps no series of the one, and of the other only one a refresh).
 */
import type { MicadoConfig } from '../config/config.js';
import type { ServiceCatalog } from '../discovery/service-catalog.js';
import type { PoolState } from '../autoscaler/pool-state.js';
import type { MetricSample, Store } from '../store/store.js';
import type { DashboardInputs } from './dashboard-feed.js';

/** The window the timeline and the charts show. */
export const DASHBOARD_WINDOW_MS = 3 * 3_600_000;
const HISTORY_EVERY_MS = 30_000;
const EVENTS_SHOWN = 500;

export interface DashboardSources {
  config: Pick<MicadoConfig, 'cluster' | 'pools'>;
  catalog: ServiceCatalog;
  store: Store;
  pools: () => ReadonlyMap<string, PoolState>;
  now: () => number;
}

export function dashboardInputs(sources: DashboardSources): DashboardInputs {
  const { catalog, store, now } = sources;
  let history: { at: number; samples: MetricSample[] } | undefined;
  const pending: [number, number][] = [];
  const workers: [number, number][] = [];
  return {
    onChange: (listener) => catalog.onChange(listener),
    async read() {
      const at = now();
      const since = at - DASHBOARD_WINDOW_MS;
      if (!history || at - history.at >= HISTORY_EVERY_MS) {
        history = { at, samples: await store.history({ kind: 'node', since }) };
      }
      const [instances, usage, intents, events] = await Promise.all([
        store.instances(),
        store.containers(),
        store.intents({ since }),
        store.events({ since, limit: EVENTS_SHOWN }),
      ]);
      const { nodes, services, tasks } = catalog.reading ?? { nodes: [], services: [], tasks: [] };
      const waiting = tasks.filter((t) => t.desiredState === 'running' && t.state === 'pending');
      const ready = nodes.filter((n) => n.role === 'worker' && n.state === 'ready');
      count(pending, at, waiting.length, since);
      count(workers, at, ready.length, since);
      return {
        config: sources.config,
        now: at,
        nodes,
        services,
        tasks,
        instances,
        usage,
        intents,
        pools: sources.pools(),
        events,
        samples: history.samples.filter((s) => s.at >= since),
        pending: [...pending],
        workers: [...workers],
      };
    },
  };
}

/** A point when the count changes, and one a minute while it holds; none older than `since`. */
function count(series: [number, number][], at: number, value: number, since: number): void {
  const last = series.at(-1);
  if (!last || last[1] !== value || at - last[0] >= 60_000) series.push([at, value]);
  while (series.length > 0 && series[0]![0] < since) series.shift();
}
