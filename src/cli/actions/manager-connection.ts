/** How actions reach the swarm: the manager's engine, and the engine of a given node. */
import { conflictError, hostError, MicadoError } from '../../errors.js';
import type { MicadoConfig } from '../../config/config.js';
import { nodeEngineOf } from '../../nodes/node-engine.js';
import { clusterLayout, type ClusterLayout } from '../../cluster/cluster-layout.js';
import { readState } from '../../cluster/cluster-state.js';
import { connectManagerEngine } from '../../cluster/manager-engine.js';
import { isRunning } from '../../host/process.js';
import { type SwarmClient, type SwarmNode, type SwarmService } from '../../swarm/index.js';

/**
 * The manager's engine, or a clear error when the cluster is not up (a host's own
 * engine, which micado neither starts nor stops, is taken as up once up has used it).
 */
export function connectManager(layout: ClusterLayout): SwarmClient {
  const state = readState(layout.stateFile);
  const process = state?.manager?.process;
  if (!state?.engine && (!process || !isRunning(process)))
    throw hostError('the cluster is not up: run micado up first');
  return connectManagerEngine(layout);
}

export function managerFor(config: MicadoConfig): { layout: ClusterLayout; manager: SwarmClient } {
  const layout = clusterLayout(config);
  return { layout, manager: connectManager(layout) };
}

/** The container's service, or a usage error naming where to look. */
export async function findContainer(manager: SwarmClient, name: string): Promise<SwarmService> {
  const [service] = (await manager.listServices({ name: [name] })).filter((s) => s.name === name);
  if (!service) throw conflictError(`no container named '${name}': see micado list -c -a`);
  return service;
}

/** The engine of a swarm node, through the driver that made its machine. */
export function nodeEngine(config: MicadoConfig, node: SwarmNode): SwarmClient {
  const engine = nodeEngineOf(config, node);
  if (!engine) {
    throw new MicadoError(
      'cloud',
      `the engine of node ${node.hostname} cannot be reached from here`,
    );
  }
  return engine;
}
