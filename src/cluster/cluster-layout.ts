/**
 * Every name, address and path of a cluster, derived from the configuration in one
 * place so that up, down, status and the driver agree on them. The manager is either
 * micado's own (a namespace on its bridge, the local cluster) or the host's engine
 * (a VM's, `manager.engine`), advertised at `manager.advertise`.
 */
import { existsSync } from 'node:fs';
import { isLoopback, listenerTokens } from '../host/listener-access.js';
import { tokenFiles } from '../config/token-files.js';
import { join } from 'node:path';
import { readRegistryAccounts, registryAccountsFile } from './registry-accounts.js';
import type { MicadoConfig } from '../config/config.js';
import { addressAt, parseSubnet, type Subnet } from '../host/ipv4.js';
import type { LocalHostRecord } from '../namespace-host/local-host.js';
import { vethName } from '../namespace-host/local-host.js';
import {
  clusterTlsFiles,
  issueNodeCertificate,
  type ClusterTlsFiles,
} from '../host/certificates.js';
import type { SwarmEntry } from '../nodes/node-lifecycle.js';
import { CLUSTER_STATE_FILE } from './cluster-state.js';

export const SWARM_PORT = 2377;
/** Consul's own port, for the catalog's API as nodes read it. */
export const CATALOG_PORT = 8500;
export const BASE_IMAGE_PATH = 'micado/base';

export interface ClusterLayout {
  config: MicadoConfig;
  subnet: Subnet;
  /** The host's end of the bridge, with prefix (lets the host reach the registry). */
  gatewayCidr: string;
  managerAddress: string;
  /** address:port where nodes read the catalog (the manager daemon's second listener). */
  catalogListen: string;
  /** host:port where workers join. */
  swarmAddress: string;
  /** host:port of the private registry, as nodes pull from it (read-only); images are named after it. */
  registry: string;
  /** host:port where the manager pushes to the registry and deletes from it. */
  registryPush: string;
  baseImage: string;
  /** The manager micado makes; undefined when it runs on the host's own engine. */
  manager: LocalHostRecord | undefined;
  /** The socket of the manager's engine: how micado reaches the swarm. */
  managerSocket: string;
  stateFile: string;
  lockFile: string;
  registryDir: string;
  /** The cluster's CA and the manager's client certificate (made at up). */
  tls: ClusterTlsFiles;
}

export function clusterLayout(config: MicadoConfig): ClusterLayout {
  const subnet = parseSubnet(config.network.subnet)!;
  const { engine, advertise } = config.manager;
  const managerAddress = engine ? advertise : addressAt(subnet, 2);
  const registry = `${managerAddress}:${config.registry.port}`;
  const cluster = config.cluster.name;
  const managerDir = join(config.stateDir, 'manager');
  return {
    config,
    subnet,
    gatewayCidr: `${addressAt(subnet, 1)}/${subnet.prefix}`,
    managerAddress,
    // The manager daemon runs on the host: nodes reach it at the host's end of the bridge.
    catalogListen:
      config.discovery.listen || `${engine ? advertise : addressAt(subnet, 1)}:${CATALOG_PORT}`,
    swarmAddress: `${managerAddress}:${SWARM_PORT}`,
    registry,
    registryPush: `${managerAddress}:${config.registry.port + 1}`,
    baseImage: `${registry}/${BASE_IMAGE_PATH}:latest`,
    manager: engine
      ? undefined
      : {
          namespace: `${cluster}-manager`,
          hostVeth: vethName(cluster, 'manager'),
          bridge: config.network.bridge,
          address: managerAddress,
          prefix: subnet.prefix,
          dir: managerDir,
          cgroup: `${cluster}/manager`,
        },
    managerSocket: engine ? engine.slice('unix://'.length) : join(managerDir, 'docker.sock'),
    stateFile: join(config.stateDir, CLUSTER_STATE_FILE),
    lockFile: join(config.stateDir, 'cluster.lock'),
    registryDir: join(config.stateDir, 'registry'),
    tls: clusterTlsFiles(config.stateDir),
  };
}

/** Where new nodes join, and who issues their engines' certificates. */
export function swarmEntry(layout: ClusterLayout): SwarmEntry {
  return {
    managerAddress: layout.swarmAddress,
    registry: layout.registry,
    // Off loopback the catalog speaks TLS and asks for the read token (listener-access.ts).
    catalog: `${isLoopback(layout.catalogListen) ? 'http' : 'https'}://${layout.catalogListen}`,
    ...(isLoopback(layout.catalogListen)
      ? {}
      : { catalogToken: listenerTokens(tokenFiles(layout.config), layout.catalogListen)!.read }),
    issueTls: (instance) => issueNodeCertificate(layout.tls, instance),
    ...(layout.config.autoscaler.rotateJoinToken
      ? { joinsDir: join(layout.config.stateDir, 'joins') }
      : {}),
    ...(existsSync(registryAccountsFile(layout.registryDir))
      ? { pullAuths: { [layout.registry]: readRegistryAccounts(layout.registryDir).pull } }
      : {}),
  };
}
