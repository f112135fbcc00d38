/**
 * The Docker engine of a swarm node, for what Swarm does not offer through its manager
 * (exec, copy, stats). The driver that made the machine says how to reach it; else the
 * node's own word (its `micado.engine` label, tcp://ADDRESS:PORT) is taken. Either way
 * the engine is reached over mutual TLS with the cluster's CA: an engine whose
 * certificate the CA did not issue for that instance is not talked to, whatever a node
 * announces.
 */
import type { MicadoConfig } from '../config/config.js';
import { clusterTlsFiles, managerTls } from '../host/certificates.js';
import {
  connectEngine,
  type EngineAddress,
  type EngineOptions,
  type SwarmClient,
  type SwarmNode,
} from '../swarm/index.js';
import { driverOf, machineOfNode } from './node-drivers.js';
import { NODE_LABEL } from '../swarm/labels.js';

/** How to reach a node's engine, or undefined when it cannot be reached from here. */
export function nodeEngineAddress(
  config: MicadoConfig,
  node: Pick<SwarmNode, 'engineLabels' | 'labels'>,
): EngineAddress | undefined {
  const machine = machineOfNode(node);
  if (!machine) return undefined;
  const known = driverOf(config, machine.place).engineAddress?.(machine.instance);
  return known ?? announcedEngine(config, node.engineLabels[NODE_LABEL.engine], machine.instance);
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

function announcedEngine(
  config: MicadoConfig,
  url: string | undefined,
  instance: string,
): EngineAddress | undefined {
  const match = /^tcp:\/\/([\d.]+):(\d+)$/.exec(url ?? '');
  if (!match) return undefined;
  const tls = managerTls(clusterTlsFiles(config.stateDir));
  return { host: match[1]!, port: Number(match[2]), tls, serverName: instance };
}
