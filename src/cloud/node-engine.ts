/** The engine of a swarm node, reached through the driver that made its machine. */
import type { MicadoConfig } from '../config/config.js';
import {
  connectEngine,
  type EngineOptions,
  type SwarmClient,
  type SwarmNode,
} from '../swarm/index.js';
import { NODE_LABEL } from './cloud-driver.js';
import { createDriver } from './driver-registry.js';

/** The node's engine, or undefined when its driver offers no way to reach it. */
export function nodeEngineOf(
  config: MicadoConfig,
  node: SwarmNode,
  options?: EngineOptions,
): SwarmClient | undefined {
  const labels = { ...node.engineLabels, ...node.labels };
  const instance = labels[NODE_LABEL.instance];
  const driverName = labels[NODE_LABEL.driver];
  const address =
    instance && driverName ? createDriver(driverName, config).engineAddress?.(instance) : undefined;
  return address ? connectEngine(address, options) : undefined;
}
