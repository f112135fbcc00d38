/** Every driver that has machines of this cluster: local, and each CloudBroker cloud with records. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MicadoConfig } from '../config/config.js';
import type { CloudDriver, Instance } from './cloud-driver.js';
import { createDriver, LOCAL_CLOUD } from './driver-registry.js';

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

export function allDrivers(config: MicadoConfig): CloudDriver[] {
  return [LOCAL_CLOUD, ...cloudBrokerClouds(config)].map((cloud) => createDriver(cloud, config));
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
