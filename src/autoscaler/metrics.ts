/** What the manager counts, and its Prometheus text exposition (format 0.0.4). */
import type { NodePool } from '../config/config.js';
import type { ClusterView } from './cluster-view.js';

type PerPool = 'scaleUps' | 'scaleDowns' | 'failures' | 'warmWoken';

export class AutoscalerMetrics {
  pendingTasks = 0;
  unplaceable = 0;
  nudges = 0;
  rogueNodes = 0;
  replicaChanges = 0;
  cycleErrors = 0;
  /** From the first pending task seen to the driver request, at the last scale-up. */
  decisionSeconds = 0;
  private cycles = 0;
  private cycleSecondsSum = 0;
  private lastCycleSeconds = 0;
  private readySecondsSum = 0;
  private readyCount = 0;
  private nodes = new Map<string, number>();
  private readonly perPool: Record<PerPool, Map<string, number>> = {
    scaleUps: new Map(),
    scaleDowns: new Map(),
    failures: new Map(),
    warmWoken: new Map(),
  };

  count(what: PerPool, pool: string): void {
    this.perPool[what].set(pool, (this.perPool[what].get(pool) ?? 0) + 1);
  }

  observeCycle(seconds: number): void {
    this.cycles++;
    this.cycleSecondsSum += seconds;
    this.lastCycleSeconds = seconds;
  }

  observeReady(seconds: number): void {
    this.readyCount++;
    this.readySecondsSum += seconds;
  }

  observeView(view: ClusterView, pools: Record<string, NodePool>): void {
    this.pendingTasks = view.pending.length;
    const nodes = new Map<string, number>();
    for (const pool of Object.keys(pools)) nodes.set(`${pool}\0ready`, 0);
    for (const node of view.nodes.filter((n) => n.role === 'worker')) {
      const state = node.scalingDown
        ? 'draining'
        : !node.ready
          ? 'not-ready'
          : node.warm
            ? 'warm'
            : node.active
              ? 'ready'
              : 'drained';
      const key = `${node.pool ?? '-'}\0${state}`;
      nodes.set(key, (nodes.get(key) ?? 0) + 1);
    }
    for (const i of view.incoming) {
      const key = `${i.pool}\0starting`;
      nodes.set(key, (nodes.get(key) ?? 0) + 1);
    }
    this.nodes = nodes;
  }

  render(): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
    };
    const byPool = (map: Map<string, number>): [string, number][] =>
      [...map].map(([pool, n]) => [`{pool="${escape(pool)}"}`, n]);
    metric('micado_pending_tasks', 'gauge', 'Tasks waiting for a node with room.', [
      ['', this.pendingTasks],
    ]);
    metric('micado_unplaceable_tasks', 'gauge', 'Pending tasks no pool could ever hold.', [
      ['', this.unplaceable],
    ]);
    metric(
      'micado_nodes',
      'gauge',
      'Worker nodes by pool and state (starting: asked for, not joined).',
      [...this.nodes].map(([key, n]) => {
        const [pool, state] = key.split('\0') as [string, string];
        return [`{pool="${escape(pool)}",state="${state}"}`, n];
      }),
    );
    metric(
      'micado_scale_ups_total',
      'counter',
      'Nodes asked for, by pool.',
      byPool(this.perPool.scaleUps),
    );
    metric(
      'micado_scale_downs_total',
      'counter',
      'Nodes given back, by pool.',
      byPool(this.perPool.scaleDowns),
    );
    metric(
      'micado_warm_woken_total',
      'counter',
      'Warm nodes made active for waiting tasks, by pool.',
      byPool(this.perPool.warmWoken),
    );
    metric(
      'micado_failures_total',
      'counter',
      'Failed node starts and give-backs, by pool.',
      byPool(this.perPool.failures),
    );
    metric('micado_replica_changes_total', 'counter', 'Replica counts changed by policies.', [
      ['', this.replicaChanges],
    ]);
    metric(
      'micado_scheduler_nudges_total',
      'counter',
      'Nodes updated to make Swarm place a waiting task.',
      [['', this.nudges]],
    );
    metric(
      'micado_rogue_nodes_total',
      'counter',
      'Workers found that were no machine of the cluster (removed unless told not to).',
      [['', this.rogueNodes]],
    );
    metric('micado_reconcile_duration_seconds', 'summary', 'Reconcile cycles and their duration.', [
      ['_sum', round(this.cycleSecondsSum)],
      ['_count', this.cycles],
    ]);
    metric(
      'micado_reconcile_last_duration_seconds',
      'gauge',
      'Duration of the last reconcile cycle.',
      [['', round(this.lastCycleSeconds)]],
    );
    metric('micado_reconcile_errors_total', 'counter', 'Reconcile cycles that failed.', [
      ['', this.cycleErrors],
    ]);
    metric(
      'micado_scale_up_decision_seconds',
      'gauge',
      'From a pending task seen to the driver request, at the last scale-up.',
      [['', round(this.decisionSeconds)]],
    );
    metric('micado_node_ready_seconds', 'summary', 'From a node request to the node Ready.', [
      ['_sum', round(this.readySecondsSum)],
      ['_count', this.readyCount],
    ]);
    return `${out.join('\n')}\n`;
  }
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const escape = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
