/**
 * Cloud drivers by cloud name: the one place a driver is chosen. `local` is the embedded
 * default; every other name is a cloud of cloudsetup.xml, reached through CloudBroker.
 */
import type { MicadoConfig } from '../config/config.js';
import { cloudBrokerDriver } from '../cloudbroker/cloudbroker-cloud.js';
import type { CloudDriver } from './cloud-driver.js';
import { LocalCloudDriver } from './local/local-cloud-driver.js';

export const LOCAL_CLOUD = 'local';

export function createDriver(
  cloud: string,
  config: MicadoConfig,
  application?: string,
): CloudDriver {
  if (cloud === LOCAL_CLOUD) return new LocalCloudDriver(config);
  return cloudBrokerDriver(config, cloud, application);
}
