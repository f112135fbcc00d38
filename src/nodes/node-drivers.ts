/**
 * Which driver has a machine: the one rule for pools, ledger intents and swarm nodes
 * alike. A place is `local` (the embedded default) or a cloud of cloudsetup.xml
 * reached through CloudBroker; the driver's name alone never names a cloud.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MicadoConfig } from '../config/config.js';
import { type CloudDriver, type Instance } from '../cloud/cloud-driver.js';
import { LocalCloudDriver } from '../cloud/local/local-cloud-driver.js';
import { cloudBrokerDriver } from '../cloudbroker/cloudbroker-cloud.js';
import type { SwarmNode } from '../swarm/index.js';
import { NODE_LABEL } from '../swarm/labels.js';

export const LOCAL_CLOUD = 'local';

/** Where a machine lives, as a pool, an intent or a node's labels say it. */
export interface MachinePlace {
  /** The driver's name: `local` or `cloudbroker`. */
  driver: string;
  /** The cloud of a CloudBroker machine. */
  cloud?: string;
  /** The application a new CloudBroker machine runs. */
  application?: string;
}

/** The cloud name of a place: `local`, or the cloud of a CloudBroker machine. */
export function cloudOf(place: MachinePlace): string {
  return place.driver === LOCAL_CLOUD ? LOCAL_CLOUD : (place.cloud ?? '');
}

/** The driver of a cloud by name (`local`, or a cloud of cloudsetup.xml, any case). */
export function driverOfCloud(
  config: MicadoConfig,
  cloud: string,
  application?: string,
): CloudDriver {
  if (cloud.toLowerCase() === LOCAL_CLOUD) return new LocalCloudDriver(config);
  return cloudBrokerDriver(config, cloud, application);
}

/** The driver of a place. */
export function driverOf(config: MicadoConfig, place: MachinePlace): CloudDriver {
  return driverOfCloud(config, cloudOf(place), place.application);
}

/** A node's machine: its instance id and place, from the manager's labels over the node's own. */
export function machineOfNode(
  node: Pick<SwarmNode, 'engineLabels' | 'labels'>,
): { instance: string; place: MachinePlace } | undefined {
  const labels = { ...node.engineLabels, ...node.labels };
  const instance = labels[NODE_LABEL.instance];
  if (!instance) return undefined;
  const driver = labels[NODE_LABEL.driver] ?? LOCAL_CLOUD;
  return { instance, place: { driver, cloud: labels[NODE_LABEL.cloud] } };
}

/** Clouds named in the CloudBroker driver's records (no platform call needed). */
function cloudBrokerClouds(config: MicadoConfig): string[] {
  const dir = join(config.stateDir, 'cloudbroker');
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const clouds = names.map(
    (n) => (JSON.parse(readFileSync(join(dir, n), 'utf8')) as { cloud: string }).cloud,
  );
  return [...new Set(clouds)];
}

/** Every driver that has machines of this cluster: local, and each CloudBroker cloud with records. */
export function allDrivers(config: MicadoConfig): CloudDriver[] {
  return [LOCAL_CLOUD, ...cloudBrokerClouds(config)].map((cloud) => driverOfCloud(config, cloud));
}

export async function allInstances(
  config: MicadoConfig,
): Promise<{ driver: CloudDriver; instance: Instance }[]> {
  const lists = await Promise.all(
    allDrivers(config).map(async (driver) =>
      (await driver.list()).map((instance) => ({ driver, instance })),
    ),
  );
  return lists.flat();
}

/** The drivers of a cluster, as the manager uses them (a seam: tests hand in fakes). */
export interface Drivers {
  /** Required. The driver of a place. */
  of(place: MachinePlace): CloudDriver;
  /** Required. Every machine of the cluster, with its driver. */
  machines(): Promise<{ driver: CloudDriver; instance: Instance }[]>;
}

/** The drivers the configuration names: local, and CloudBroker's clouds. */
export function configuredDrivers(config: MicadoConfig): Drivers {
  return { of: (place) => driverOf(config, place), machines: () => allInstances(config) };
}
