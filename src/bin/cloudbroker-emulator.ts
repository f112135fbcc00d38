#!/usr/bin/env node
/**
 * Runs the CloudBroker emulator on loopback for demos: its catalog comes from
 * cloudsetup.xml and its account from cbcredentials (micado's own configuration), and
 * its instances are local nodes. `--port N` (default 8440), `--latency MS`.
 */
import { loadConfig } from '../config/load-config.js';
import { readCloudSetup, readCredentials } from '../cloudbroker/cloud-setup.js';
import { catalogFromSetup } from '../cloudbroker/emulator/catalog.js';
import { CloudBrokerEmulator } from '../cloudbroker/emulator/cloudbroker-emulator.js';
import { LocalNodeBackend } from '../cloudbroker/emulator/local-node-backend.js';
import { messageOf } from '../errors.js';

const option = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  const value = at > 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} takes a whole number`);
  return value;
};

try {
  const config = loadConfig();
  const setup = readCloudSetup(config.cloudbroker.setupFile);
  const emulator = new CloudBrokerEmulator(
    readCredentials(config.cloudbroker.credentialsFile),
    catalogFromSetup(setup),
    new LocalNodeBackend(config),
  );
  emulator.faults.latencyMs = option('--latency', 0);
  const url = await emulator.listen(option('--port', 8440));
  process.stdout.write(
    `CloudBroker emulator at ${url} (set MICADO_CB_URL=${url}); Ctrl-C stops it and its nodes\n`,
  );
  process.once('SIGINT', () => void emulator.close().then(() => process.exit(0)));
  process.once('SIGTERM', () => void emulator.close().then(() => process.exit(0)));
} catch (err) {
  process.stderr.write(`cloudbroker-emulator: ${messageOf(err)}\n`);
  process.exitCode = 1;
}
