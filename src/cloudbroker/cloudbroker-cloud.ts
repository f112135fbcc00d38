/** A CloudBroker cloud by name, from the set-up files: its driver, ready to use. */
import { existsSync } from 'node:fs';
import type { MicadoConfig } from '../config/config.js';
import { resolveName } from '../config/names.js';
import { configError, usageError } from '../errors.js';
import { CloudBrokerClient } from './cloudbroker-client.js';
import { CloudBrokerDriver } from './cloudbroker-driver.js';
import { CloudBrokerInstanceDriver } from './cloudbroker-instance-driver.js';
import { readCloudSetup, readCredentials } from './cloud-setup.js';

/** The driver of the cloud's API: instances (cloud-init) or jobs (an application's). */
export function cloudBrokerDriver(
  config: MicadoConfig,
  cloudName: string,
  applicationName?: string,
): CloudBrokerDriver | CloudBrokerInstanceDriver {
  const { setupFile, credentialsFile, url } = config.cloudbroker;
  if (!existsSync(setupFile)) {
    throw usageError(
      `unknown cloud '${cloudName}': use local, or define it in ${setupFile} (MICADO_CB_SETUP)`,
    );
  }
  const setup = readCloudSetup(setupFile);
  const name = resolveName('cloud', cloudName, ['local', ...setup.clouds.map((c) => c.name)]);
  const cloud = setup.clouds.find((c) => c.name === name)!;
  if (cloud.api === 'instances' && applicationName !== undefined) {
    throw usageError(
      `cloud ${cloud.name} boots VMs with cloud-init (api instances) and runs no application: drop the application`,
    );
  }
  const chosen =
    applicationName === undefined
      ? undefined
      : resolveName(
          'application',
          applicationName,
          setup.applications.map((a) => a.name),
        );
  const application = setup.applications.find((a) => a.name === chosen);
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
  if (cloud.api === 'instances') return new CloudBrokerInstanceDriver(config, cloud, client);
  return new CloudBrokerDriver(config, cloud, application, client);
}
