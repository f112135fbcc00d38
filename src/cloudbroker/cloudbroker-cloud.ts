/** A CloudBroker cloud by name, from the set-up files: its driver, ready to use. */
import { existsSync } from 'node:fs';
import type { MicadoConfig } from '../config/config.js';
import { configError, usageError } from '../errors.js';
import { CloudBrokerClient } from './cloudbroker-client.js';
import { CloudBrokerDriver } from './cloudbroker-driver.js';
import { readCloudSetup, readCredentials } from './cloud-setup.js';

export function cloudBrokerDriver(
  config: MicadoConfig,
  cloudName: string,
  applicationName?: string,
): CloudBrokerDriver {
  const { setupFile, credentialsFile, url } = config.cloudbroker;
  if (!existsSync(setupFile)) {
    throw usageError(
      `unknown cloud '${cloudName}': use local, or define it in ${setupFile} (MICADO_CB_SETUP)`,
    );
  }
  const setup = readCloudSetup(setupFile);
  const cloud = setup.clouds.find((c) => c.name === cloudName);
  if (!cloud) {
    const known = ['local', ...setup.clouds.map((c) => c.name)].join(', ');
    throw usageError(`unknown cloud '${cloudName}': use one of ${known}`);
  }
  const application =
    applicationName === undefined
      ? undefined
      : setup.applications.find((a) => a.name === applicationName);
  if (applicationName !== undefined && !application) {
    const known = setup.applications.map((a) => a.name).join(', ');
    throw usageError(`unknown application '${applicationName}': use one of ${known}`);
  }
  if (!url)
    throw configError(
      `cloud ${cloudName} is on CloudBroker, but no platform URL is set: set MICADO_CB_URL or cloudbroker.url`,
    );
  const credentials = readCredentials(credentialsFile);
  const client = new CloudBrokerClient({
    baseUrl: url,
    ...credentials,
    timeoutMs: config.cloudbroker.requestTimeoutMs,
  });
  return new CloudBrokerDriver(config, cloud, application, client);
}
