/**
 * A broker fault storm: N containers each needing a CloudBroker node, launched while
 * the emulator answers ~30% of requests with a 503, no answer, a cut-off body, a
 * "wrong status" refusal or a lost create, with latency up to 2 s, for 60 s. Measured:
 * the time from launch until all run (and, should that outlast the storm, from the
 * storm's end), and jobs made against jobs needed; beside the same launch with no
 * storm, in the same run.
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from '../test/support/test-cluster.js';
import { readCloudSetup } from '../src/cloudbroker/cloud-setup.js';
import { catalogFromSetup } from '../src/cloudbroker/emulator/catalog.js';
import { CloudBrokerEmulator } from '../src/cloudbroker/emulator/cloudbroker-emulator.js';
import { LocalNodeBackend } from '../src/cloudbroker/emulator/local-node-backend.js';
import type { SwarmClient } from '../src/swarm/index.js';
import { allRunning, ms } from './measure.js';
import { CONTAINER_LABEL } from '../src/swarm/labels.js';

const N = 5;
const STORM_MS = 60_000;
const ACCOUNT = { email: 'bench@example.org', password: 'bench-password' };

/** Launch N node-needing containers; resolves when all run. */
async function launchAll(manager: SwarmClient, image: string, prefix: string): Promise<void> {
  await Promise.all(
    Array.from(
      { length: N },
      (_, i) =>
      manager.createService({
        name: `${prefix}${i}`, image, command: ['sleep', '3600'],
        labels: { [CONTAINER_LABEL.name]: `${prefix}${i}` },
        reservations: { 'micado.mem_mb': 300, 'micado.cpu_milli': 100 },
      }), // prettier-ignore
    ),
  );
  await allRunning(manager, prefix, N, 600_000);
}

async function giveBackAll(cluster: TestCluster, emulator: CloudBrokerEmulator, prefix: string) {
  const manager = cluster.manager();
  for (let i = 0; i < N; i++) await manager.removeService(`${prefix}${i}`);
  const deadline = Date.now() + 300_000;
  while (emulator.jobs.size > 0) {
    if (Date.now() > deadline) throw new Error('jobs were not given back');
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function benchStorm(): Promise<string[][]> {
  const files = mkdtempSync(join(tmpdir(), 'micado-bench-storm-'));
  const setupFile = join(files, 'cloudsetup.xml');
  const credentialsFile = join(files, 'cbcredentials');
  copyFileSync(join(import.meta.dirname, '../packages/manager/cloudsetup.xml.example'), setupFile);
  writeFileSync(credentialsFile, `${ACCOUNT.email}\n${ACCOUNT.password}\n`, { mode: 0o600 });
  chmodSync(credentialsFile, 0o600);
  const cluster = new TestCluster();
  const emulator = new CloudBrokerEmulator(
    ACCOUNT,
    catalogFromSetup(readCloudSetup(setupFile)),
    new LocalNodeBackend(cluster.config),
  );
  try {
    const url = await emulator.listen();
    cluster.configure({
      cloudbroker: { url, setupFile, credentialsFile },
      pools: {
        cb: { driver: 'cloudbroker', cloud: 'CloudSigma', application: 'Node DSCR', flavour: 'small', min: 0, max: N },
      },
      autoscaler: { scaleDownUnneededMs: 1000, scaleDownDelayAfterUpMs: 0, scaleDownCooldownMs: 0 },
    }); // prettier-ignore
    if ((await cluster.micado('up')).code !== 0) throw new Error('micado up failed');
    const manager = cluster.manager();
    const image = cluster.layout.baseImage;

    const c0 = performance.now();
    await launchAll(manager, image, 'container-calm');
    const calm = performance.now() - c0;
    await giveBackAll(cluster, emulator, 'container-calm');

    const madeBefore = emulator.made.length;
    const stormEnd = Date.now() + STORM_MS;
    emulator.faults.storm = { until: stormEnd, faultRate: 0.3, maxLatencyMs: 2000 };
    const s0 = performance.now();
    await launchAll(manager, image, 'container-storm');
    const stormy = performance.now() - s0;
    const afterStorm = Date.now() - stormEnd;
    const made = emulator.made.slice(madeBefore);
    const live = [...emulator.jobs.values()].filter((j) => j.status === 'running');
    const when =
      afterStorm > 0
        ? `${ms(afterStorm)} after the storm ended (goal 30000 ms)`
        : `all running ${ms(-afterStorm)} before the storm ended`;
    return [
      [`storm: ${N} CloudBroker nodes, launch -> all running, in a ${STORM_MS / 1000} s storm`, ms(stormy), `${when}; storm/calm = ${(stormy / calm).toFixed(2)}`],
      [`same launch with no storm`, ms(calm), ''],
      ['storm: jobs made / needed; live jobs; duplicated names', `${made.length}/${N}`, `live ${live.length}, duplicated ${made.length - new Set(made).size}`],
    ]; // prettier-ignore
  } finally {
    emulator.faults.storm = undefined;
    await cluster.destroy();
    await emulator.close();
    rmSync(files, { recursive: true, force: true });
  }
}
