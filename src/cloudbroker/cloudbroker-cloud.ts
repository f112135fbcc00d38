/** A CloudBroker cloud by name, from the set-up files: its driver, ready to use. */
import { existsSync, readFileSync } from 'node:fs';
import type { MicadoConfig } from '../config/config.js';
import { resolveName } from '../config/names.js';
import { configError, messageOf, usageError } from '../errors.js';
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
  const { caFile } = config.cloudbroker;
  const client = new CloudBrokerClient({
    baseUrl: url,
    ...credentials,
    timeoutMs: config.cloudbroker.requestTimeoutMs,
    ...(caFile ? { ca: readCaFile(caFile) } : {}),
  });
  if (cloud.api === 'instances') return new CloudBrokerInstanceDriver(config, cloud, client);
  return new CloudBrokerDriver(config, cloud, application, client);
}

/** The platform's CA file (cloudbroker.caFile), read once: a missing one is a config error. */
function readCaFile(file: string): string {
  try {
    const pem = readFileSync(file, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (err) {
    throw configError(`cloudbroker.caFile ${file} cannot be used (${messageOf(err)}): give a PEM file of the platform's CA`); // prettier-ignore
  }
}
