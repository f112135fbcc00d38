/**
 * `micado status`: the manager, the registry and every node with its capacity and what
 * its tasks reserve. Two engine calls and one registry call, made at once.
 */
import { isRunning } from '../host/process.js';
import { connectEngine, type Resources, type SwarmNode, type SwarmTask } from '../swarm/index.js';
import { NODE_LABEL } from '../cloud/cloud-driver.js';
import { managerSocket, type ClusterLayout } from './cluster-layout.js';
import { readState } from './cluster-state.js';
import { registryAnswers } from './private-registry.js';

export const CPU = 'micado.cpu_milli';
export const MEMORY = 'micado.mem_mb';

export interface NodeStatus {
  id: string;
  hostname: string;
  role: string;
  state: string;
  availability: string;
  address: string;
  instance: string | undefined;
  cloud: string | undefined;
  pool: string | undefined;
  flavour: string | undefined;
  tag: string | undefined;
  capacity: { cpuMilli: number; memoryMb: number };
  reserved: { cpuMilli: number; memoryMb: number };
  tasks: number;
}

export interface ClusterStatus {
  cluster: string;
  stateDir: string;
  manager: {
    state: 'running' | 'stopped' | 'absent';
    address: string;
    pid?: number;
    nodeId?: string;
    engine?: string;
  };
  registry: { state: 'running' | 'not answering' | 'absent'; address: string };
  /** The `micado manager` daemon (autoscaler, monitor, /metrics). */
  autoscaler: { state: 'running' | 'stopped' | 'absent'; address: string; pid?: number };
  baseImage: string;
  nodes: NodeStatus[];
}

/** Task states that hold a node's resources: placed and not yet ended. */
export const PLACED_TASK_STATES = new Set([
  'assigned',
  'accepted',
  'preparing',
  'starting',
  'running',
]);

export async function clusterStatus(layout: ClusterLayout): Promise<ClusterStatus> {
  const state = readState(layout.stateFile);
  const status: ClusterStatus = {
    cluster: layout.config.cluster.name,
    stateDir: layout.config.stateDir,
    manager: { state: 'absent', address: layout.managerAddress },
    registry: { state: state?.registry ? 'not answering' : 'absent', address: layout.registry },
    autoscaler: {
      state: !state?.autoscaler ? 'absent' : isRunning(state.autoscaler) ? 'running' : 'stopped',
      address: `http://${layout.config.manager.listen}`,
      pid: state?.autoscaler?.pid,
    },
    baseImage: layout.baseImage,
    nodes: [],
  };
  const process = state?.manager?.process;
  if (!process) return status;
  if (!isRunning(process)) {
    status.manager = { state: 'stopped', address: layout.managerAddress, pid: process.pid };
    return status;
  }
  const engine = connectEngine({ socketPath: managerSocket(layout) });
  const [info, nodes, tasks, registryUp] = await Promise.all([
    engine.info(),
    engine.listNodes(),
    engine.listTasks({ 'desired-state': ['running'] }),
    state.registry && isRunning(state.registry) ? registryAnswers(layout.registry) : false,
  ]);
  status.manager = {
    state: 'running',
    address: layout.managerAddress,
    pid: process.pid,
    nodeId: info.swarm.nodeId,
    engine: info.serverVersion,
  };
  if (registryUp) status.registry.state = 'running';
  status.nodes = nodes.map((node) => nodeStatus(node, tasks)).sort(byRoleThenName);
  return status;
}

/** A node with its capacity and what its live tasks reserve. */
export function nodeStatus(node: SwarmNode, tasks: SwarmTask[]): NodeStatus {
  const mine = tasks.filter((t) => t.nodeId === node.id && PLACED_TASK_STATES.has(t.state));
  const reserved: Resources = {};
  for (const task of mine) {
    for (const [kind, value] of Object.entries(task.reservations))
      reserved[kind] = (reserved[kind] ?? 0) + value;
  }
  const labels = { ...node.engineLabels, ...node.labels };
  return {
    id: node.id,
    hostname: node.hostname,
    role: node.role,
    state: node.state,
    availability: node.availability,
    address: node.address,
    instance: labels[NODE_LABEL.instance],
    cloud: labels[NODE_LABEL.cloud],
    pool: labels[NODE_LABEL.pool],
    flavour: labels[NODE_LABEL.flavour],
    tag: labels[NODE_LABEL.tag],
    capacity: { cpuMilli: node.capacity[CPU] ?? 0, memoryMb: node.capacity[MEMORY] ?? 0 },
    reserved: { cpuMilli: reserved[CPU] ?? 0, memoryMb: reserved[MEMORY] ?? 0 },
    tasks: mine.length,
  };
}

function byRoleThenName(a: NodeStatus, b: NodeStatus): number {
  if (a.role !== b.role) return a.role === 'manager' ? -1 : 1;
  return a.hostname.localeCompare(b.hostname);
}
