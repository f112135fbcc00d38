/**
 * `micado status`: the manager, the registry and every node with its capacity and what
 * its tasks reserve. Two engine calls and one registry call, made at once.
 */
import { isRunning } from '../host/process.js';
import { connectEngine } from '../swarm/index.js';
import { nodeStatus, type NodeStatus } from '../nodes/node-status.js';
import { type ClusterLayout } from './cluster-layout.js';
import { readState } from './cluster-state.js';
import { registryServes } from './private-registry.js';
import { listenerUrl } from '../host/listener-access.js';

export type { NodeStatus };

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

export async function clusterStatus(layout: ClusterLayout): Promise<ClusterStatus> {
  const state = readState(layout.stateFile);
  const status: ClusterStatus = {
    cluster: layout.config.cluster.name,
    stateDir: layout.config.stateDir,
    manager: { state: 'absent', address: layout.managerAddress },
    registry: { state: state?.registry ? 'not answering' : 'absent', address: layout.registry },
    autoscaler: {
      state: !state?.autoscaler ? 'absent' : isRunning(state.autoscaler) ? 'running' : 'stopped',
      address: listenerUrl(layout.config.manager.listen),
      pid: state?.autoscaler?.pid,
    },
    baseImage: layout.baseImage,
    nodes: [],
  };
  const process = state?.manager?.process;
  if (!process && !state?.engine) return status;
  if (process && !isRunning(process)) {
    status.manager = { state: 'stopped', address: layout.managerAddress, pid: process.pid };
    return status;
  }
  const engine = connectEngine({ socketPath: layout.managerSocket });
  const info = await engine.info().catch(() => undefined);
  if (!info) {
    // The host's own engine, not answering.
    status.manager = { state: 'stopped', address: layout.managerAddress };
    return status;
  }
  const [nodes, tasks, registryUp] = await Promise.all([
    engine.listNodes(),
    engine.listTasks({ 'desired-state': ['running'] }),
    registryServes(layout, { pull: state?.registry, push: state?.registryPush }),
  ]);
  status.manager = {
    state: 'running',
    address: layout.managerAddress,
    pid: process?.pid,
    nodeId: info.swarm.nodeId,
    engine: info.serverVersion,
  };
  if (registryUp) status.registry.state = 'running';
  status.nodes = nodes.map((node) => nodeStatus(node, tasks)).sort(byRoleThenName);
  return status;
}

function byRoleThenName(a: NodeStatus, b: NodeStatus): number {
  if (a.role !== b.role) return a.role === 'manager' ? -1 : 1;
  return a.hostname.localeCompare(b.hostname);
}
