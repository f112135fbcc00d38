/**
 * What the autoscaler decides from: the swarm's nodes with what they hold, the tasks
 * waiting for room, and the nodes asked for that have not joined yet. Built from the
 * engine by buildClusterView; every decision takes it (and the time) as plain data.
 */
import type { IncomingNode } from '../nodes/node-provisioner.js';
import {
  amountOf,
  PLACED_TASK_STATES,
  sumOf,
  type Amount,
  type SwarmNode,
  type SwarmService,
  type SwarmTask,
} from '../swarm/index.js';
import { DO_NOT_DISRUPT_LABEL, NODE_LABEL } from '../swarm/labels.js';

export interface TaskDemand {
  id: string;
  service: string;
  cpuMilli: number;
  memoryMb: number;
  constraints: string[];
  /** Host ports it publishes on its node (PORT/PROTOCOL): one task of them per node. */
  hostPorts?: string[];
  /**
   * What stays the same when Swarm makes the task again elsewhere (its service and
   * slot): what consolidation remembers a move by (minTaskStayHours).
   */
  slot?: string;
  /** Its service says consolidation must not move it (micado.do-not-disrupt). */
  doNotDisrupt?: boolean;
}

export interface PendingTask extends TaskDemand {
  /** Swarm's reason, e.g. "no suitable node (insufficient resources on 2 nodes)". */
  reason: string;
}

/** What placement constraints are checked against. */
export interface NodeTraits {
  role: string;
  hostname: string | undefined;
  nodeLabels: Record<string, string>;
  engineLabels: Record<string, string>;
}

export interface NodeView extends NodeTraits {
  id: string;
  instance: string | undefined;
  pool: string | undefined;
  flavour: string | undefined;
  driver: string | undefined;
  /** Started by the manager: the only nodes it gives back. */
  autoscaled: boolean;
  /** The manager gives it back: drained, or paused for its turn (a restart finishes the job). */
  scalingDown: boolean;
  ready: boolean;
  active: boolean;
  /** Kept warm by the manager: paused and unused until a task needs it. */
  warm: boolean;
  /** Labelled micado.do-not-disrupt: consolidation leaves it as it is. */
  doNotDisrupt: boolean;
  capacity: Amount;
  reserved: Amount;
  tasks: TaskDemand[];
}

export type { IncomingNode };

export interface ClusterView {
  nodes: NodeView[];
  pending: PendingTask[];
  incoming: IncomingNode[];
}

export function demandOf(task: SwarmTask, service: SwarmService | undefined): TaskDemand {
  return {
    id: task.id,
    service: service?.name ?? task.serviceId,
    ...amountOf(task.reservations),
    constraints: service?.constraints ?? [],
    hostPorts: (service?.ports ?? [])
      .filter((p) => p.mode === 'host' && p.published > 0)
      .map((p) => `${p.published}/${p.protocol ?? 'tcp'}`),
    slot: `${service?.name ?? task.serviceId}.${task.slot ?? task.id}`,
    doNotDisrupt: service?.labels[DO_NOT_DISRUPT_LABEL] === 'true',
  };
}

export function buildClusterView(
  nodes: SwarmNode[],
  tasks: SwarmTask[],
  services: SwarmService[],
  incoming: IncomingNode[],
): ClusterView {
  const servicesById = new Map(services.map((s) => [s.id, s]));
  const onNode = new Map<string, TaskDemand[]>();
  const pending: PendingTask[] = [];
  for (const task of tasks) {
    if (task.desiredState !== 'running') continue;
    const service = servicesById.get(task.serviceId);
    // A task Swarm has not placed yet: new (just made) or pending (no node has room).
    if ((task.state === 'new' || task.state === 'pending') && !task.nodeId) {
      pending.push({ ...demandOf(task, service), reason: task.error ?? task.message });
    } else if (task.nodeId && PLACED_TASK_STATES.has(task.state)) {
      onNode.set(task.nodeId, [...(onNode.get(task.nodeId) ?? []), demandOf(task, service)]);
    }
  }
  const joined = new Set<string>();
  const views = nodes.map((node): NodeView => {
    const labels = { ...node.engineLabels, ...node.labels };
    const mine = onNode.get(node.id) ?? [];
    const instance = labels[NODE_LABEL.instance];
    // Joined once labelled: until its node labels land, a placement constraint on them
    // would not see the node, so it is still counted as on its way.
    if (node.labels[NODE_LABEL.instance]) joined.add(instance!);
    return {
      id: node.id,
      role: node.role,
      hostname: node.hostname,
      nodeLabels: node.labels,
      engineLabels: node.engineLabels,
      instance,
      pool: labels[NODE_LABEL.pool],
      flavour: labels[NODE_LABEL.flavour],
      driver: labels[NODE_LABEL.driver],
      autoscaled: labels[NODE_LABEL.autoscaled] === 'true',
      scalingDown:
        node.labels[NODE_LABEL.scalingDown] === 'true' ||
        node.labels[NODE_LABEL.consolidating] === 'true',
      ready: node.state === 'ready',
      active: node.availability === 'active',
      warm: node.availability === 'pause' && node.labels[NODE_LABEL.warm] === 'true',
      doNotDisrupt: labels[DO_NOT_DISRUPT_LABEL] === 'true',
      capacity: amountOf(node.capacity),
      reserved: sumOf(mine),
      tasks: mine,
    };
  });
  return {
    nodes: views,
    pending,
    // A node that has joined (Ready or not) and been labelled is no longer incoming.
    incoming: incoming.filter((i) => !joined.has(i.instance)),
  };
}
