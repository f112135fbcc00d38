/** A swarm node as people read it: its machine's labels, its capacity and what its tasks reserve. */
import {
  amountOf,
  PLACED_TASK_STATES,
  sumOf,
  type Amount,
  type SwarmNode,
  type SwarmTask,
} from '../swarm/index.js';
import { NODE_LABEL } from '../swarm/labels.js';

export interface NodeStatus {
  id: string;
  hostname: string;
  role: string;
  state: string;
  /** active, pause, drain; or warm: paused by the manager for the next task. */
  availability: string;
  address: string;
  instance: string | undefined;
  cloud: string | undefined;
  pool: string | undefined;
  flavour: string | undefined;
  tag: string | undefined;
  capacity: Amount;
  reserved: Amount;
  tasks: number;
}

/** A node with its capacity and what its live tasks reserve. */
export function nodeStatus(node: SwarmNode, tasks: SwarmTask[]): NodeStatus {
  const mine = tasks.filter((t) => t.nodeId === node.id && PLACED_TASK_STATES.has(t.state));
  const labels = { ...node.engineLabels, ...node.labels };
  return {
    id: node.id,
    hostname: node.hostname,
    // A proxy is a swarm worker that takes no tasks: shown as what it is.
    role: labels[NODE_LABEL.role] === 'proxy' ? 'proxy' : node.role,
    state: node.state,
    availability:
      node.availability === 'pause' && node.labels[NODE_LABEL.warm] === 'true'
        ? 'warm'
        : node.availability,
    address: node.address,
    instance: labels[NODE_LABEL.instance],
    cloud: labels[NODE_LABEL.cloud],
    pool: labels[NODE_LABEL.pool],
    flavour: labels[NODE_LABEL.flavour],
    tag: labels[NODE_LABEL.tag],
    capacity: amountOf(node.capacity),
    reserved: sumOf(mine.map((t) => amountOf(t.reservations))),
    tasks: mine.length,
  };
}
