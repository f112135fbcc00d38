/** The public surface of src/swarm: the interface, and the one way to get an implementation. */
import {
  DockerSwarmClient,
  type EngineAddress,
  type EngineOptions,
} from './docker-swarm-client.js';
import type { SwarmClient } from './swarm-client.js';

export type * from './swarm-client.js';
export type { EngineAddress, EngineOptions, RegistryCredentials } from './docker-swarm-client.js';
export { isNotFound } from './docker-swarm-client.js';
export * from './capacity.js';

export function connectEngine(address: EngineAddress, options?: EngineOptions): SwarmClient {
  return new DockerSwarmClient(address, options);
}
