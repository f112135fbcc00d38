/**
 * The Docker engine of a swarm node, for what Swarm does not offer through its manager
 * (exec, copy, stats). The driver that made the machine says how to reach it; else the
 * node's own word (its `micado.engine` label, tcp://ADDRESS:PORT) is taken. Either way
 * the engine is reached over mutual TLS with the cluster's CA: an engine whose
 * certificate the CA did not issue for that instance is not talked to, whatever a node
 * announces.
 */
import type { MicadoConfig } from '../config/config.js';
import type { EngineEndpoint } from '../cloud/cloud-driver.js';
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
  const endpoint =
    driverOf(config, machine.place).engineAddress?.(machine.instance) ??
    announcedEndpoint(node.engineLabels[NODE_LABEL.engine]);
  return endpoint && engineAt(config, endpoint, machine.instance);
}

/**
 * The engine of `instance` listening at `endpoint`, reached with the manager's client
 * certificate of the cluster's CA, which must have issued the engine's for `instance`.
 */
export function engineAt(
  config: MicadoConfig,
  endpoint: EngineEndpoint,
  instance: string,
): EngineAddress {
  const tls = managerTls(clusterTlsFiles(config.stateDir));
  return { ...endpoint, tls, serverName: instance };
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

/** The node's own word: its engine label, tcp://ADDRESS:PORT. */
function announcedEndpoint(url: string | undefined): EngineEndpoint | undefined {
  const match = /^tcp:\/\/([\d.]+):(\d+)$/.exec(url ?? '');
  return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
}
