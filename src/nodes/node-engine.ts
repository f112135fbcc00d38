/**
 * The Docker engine of a swarm node, for what Swarm does not offer through its manager
 * (exec, copy, stats). The driver that made the machine says how to reach it; else the
 * node's own word (its `micado.engine` label) is taken, for a socket in this cluster's
 * state dir only, so a node cannot point the manager at an engine not of this cluster.
 */
import { join, resolve } from 'node:path';
import type { MicadoConfig } from '../config/config.js';
import { NODE_LABEL } from '../cloud/cloud-driver.js';
import {
  connectEngine,
  type EngineAddress,
  type EngineOptions,
  type SwarmClient,
  type SwarmNode,
} from '../swarm/index.js';
import { driverOf, machineOfNode } from './node-drivers.js';

/** How to reach a node's engine, or undefined when it cannot be reached from here. */
export function nodeEngineAddress(
  config: MicadoConfig,
  node: Pick<SwarmNode, 'engineLabels' | 'labels'>,
): EngineAddress | undefined {
  const machine = machineOfNode(node);
  if (!machine) return undefined;
  const known = driverOf(config, machine.place).engineAddress?.(machine.instance);
  return known ?? announcedEngine(config, node.engineLabels[NODE_LABEL.engine]);
}

/** The node's engine, or undefined when it cannot be reached from here. */
export function nodeEngineOf(
  config: MicadoConfig,
  node: SwarmNode,
  options?: EngineOptions,
): SwarmClient | undefined {
  const address = nodeEngineAddress(config, node);
  return address ? connectEngine(address, options) : undefined;
}

function announcedEngine(config: MicadoConfig, url: string | undefined): EngineAddress | undefined {
  if (!url?.startsWith('unix://')) return undefined;
  const socketPath = resolve(url.slice('unix://'.length));
  const nodes = join(resolve(config.stateDir), 'nodes');
  return socketPath.startsWith(`${nodes}/`) ? { socketPath } : undefined;
}
