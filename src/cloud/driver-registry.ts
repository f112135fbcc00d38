/** Cloud drivers by name: the one place a driver is chosen. */
import type { MicadoConfig } from '../config/config.js';
import { usageError } from '../errors.js';
import type { CloudDriver } from './cloud-driver.js';
import { LocalCloudDriver } from './local/local-cloud-driver.js';

const DRIVERS: Record<string, (config: MicadoConfig) => CloudDriver> = {
  local: (config) => new LocalCloudDriver(config),
};

export const driverNames = () => Object.keys(DRIVERS);

export function createDriver(name: string, config: MicadoConfig): CloudDriver {
  const make = DRIVERS[name];
  if (!make) {
    throw usageError(`unknown cloud driver '${name}': use one of ${driverNames().join(', ')}`);
  }
  return make(config);
}
