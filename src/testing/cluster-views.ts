/**
 * Cluster views for the autoscaler's pure decisions (tests and the trace replay): a
 * worker of the default pool started by the manager, a waiting task, a view of them.
 */
import type { ClusterView, NodeView, PendingTask } from '../autoscaler/cluster-view.js';
import { sumOf } from '../swarm/capacity.js';
import { NODE_LABEL } from '../swarm/labels.js';

export function pendingTask(
  id: string,
  memoryMb: number,
  change: Partial<PendingTask> = {},
): PendingTask {
  return {
    id,
    service: `container-${id}`,
    cpuMilli: 100,
    memoryMb,
    constraints: [],
    reason: 'no suitable node',
    ...change,
  };
}

/** A Ready worker `id` of pool `default` (a small, 1 CPU and 512 MB, unless changed). */
export function nodeView(id: string, change: Partial<NodeView> = {}): NodeView {
  const pool = change.pool ?? 'default';
  const flavour = change.flavour ?? 'small';
  const labels = {
    [NODE_LABEL.pool]: pool,
    [NODE_LABEL.flavour]: flavour,
    [NODE_LABEL.instance]: `i-${id}`,
    [NODE_LABEL.autoscaled]: 'true',
  };
  const tasks = change.tasks ?? [];
  return {
    id, role: 'worker', hostname: `h-${id}`, nodeLabels: labels, engineLabels: labels,
    instance: `i-${id}`, pool, flavour, driver: 'local', autoscaled: true, scalingDown: false,
    ready: true, active: true, warm: false, doNotDisrupt: false,
    capacity: { cpuMilli: 1000, memoryMb: 512 }, reserved: sumOf(tasks), tasks, ...change,
  }; // prettier-ignore
}

export const clusterView = (change: Partial<ClusterView>): ClusterView => ({
  nodes: [],
  pending: [],
  incoming: [],
  ...change,
});
