/**
 * Every name, address and path of a local cluster, derived from the configuration in
 * one place so that up, down, status and the driver agree on them.
 */
import { join } from 'node:path';
import type { MicadoConfig } from '../config/config.js';
import { addressAt, parseSubnet, type Subnet } from '../host/ipv4.js';
import type { LocalHostRecord } from '../cloud/local/local-host.js';
import { vethName } from '../cloud/local/local-records.js';

export const SWARM_PORT = 2377;
export const BASE_IMAGE_PATH = 'micado/base';

export interface ClusterLayout {
  config: MicadoConfig;
  subnet: Subnet;
  /** The host's end of the bridge, with prefix (lets the host reach the registry). */
  gatewayCidr: string;
  managerAddress: string;
  /** host:port where workers join. */
  swarmAddress: string;
  /** host:port of the private registry. */
  registry: string;
  baseImage: string;
  manager: LocalHostRecord;
  stateFile: string;
  lockFile: string;
  registryDir: string;
}

export function clusterLayout(config: MicadoConfig): ClusterLayout {
  const subnet = parseSubnet(config.network.subnet)!;
  const managerAddress = addressAt(subnet, 2);
  const registry = `${managerAddress}:${config.registry.port}`;
  const cluster = config.cluster.name;
  return {
    config,
    subnet,
    gatewayCidr: `${addressAt(subnet, 1)}/${subnet.prefix}`,
    managerAddress,
    swarmAddress: `${managerAddress}:${SWARM_PORT}`,
    registry,
    baseImage: `${registry}/${BASE_IMAGE_PATH}:latest`,
    manager: {
      namespace: `${cluster}-manager`,
      hostVeth: vethName(cluster, 'manager'),
      bridge: config.network.bridge,
      address: managerAddress,
      prefix: subnet.prefix,
      dir: join(config.stateDir, 'manager'),
      cgroup: `${cluster}/manager`,
    },
    stateFile: join(config.stateDir, 'cluster.json'),
    lockFile: join(config.stateDir, 'cluster.lock'),
    registryDir: join(config.stateDir, 'registry'),
  };
}

/** The manager engine's socket: how the CLI reaches the swarm. */
export const managerSocket = (layout: ClusterLayout) => join(layout.manager.dir, 'docker.sock');
