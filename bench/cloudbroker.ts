/**
 * The CloudBroker driver's overhead over the emulator's own job start (submit to job
 * running, which includes booting a real local node), side by side in one run. The
 * driver's share: name lookups, the duplicate check, create, submit, and noticing the
 * running job at its poll interval (set here to 20 ms; CloudBroker has no push).
 * Then a node started through the instance API (its VM booting from micado's
 * cloud-init user-data) against one through the job API, run by run in turns.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from '../test/support/test-cluster.js';
import { swarmEntry } from '../src/cluster/cluster-layout.js';
import { readCloudSetup } from '../src/cloudbroker/cloud-setup.js';
import { cloudBrokerDriver } from '../src/cloudbroker/cloudbroker-cloud.js';
import { catalogFromSetup } from '../src/cloudbroker/emulator/catalog.js';
import { CloudBrokerEmulator } from '../src/cloudbroker/emulator/cloudbroker-emulator.js';
import { LocalNodeBackend } from '../src/cloudbroker/emulator/local-node-backend.js';
import { median, ms, timed } from './measure.js';

export async function benchCloudBroker(): Promise<string[][]> {
  const files = mkdtempSync(join(tmpdir(), 'micado-bench-cb-'));
  const setupFile = join(files, 'cloudsetup.xml');
  const credentialsFile = join(files, 'cbcredentials');
  copyFileSync(join(import.meta.dirname, '../packages/manager/cloudsetup.xml.example'), setupFile);
  writeFileSync(credentialsFile, 'bench@example.org\nbench-password\n', { mode: 0o600 });
  const cluster = new TestCluster();
  const emulator = new CloudBrokerEmulator(
    { email: 'bench@example.org', password: 'bench-password' },
    catalogFromSetup(readCloudSetup(setupFile)),
    new LocalNodeBackend(cluster.config),
  );
  try {
    const url = await emulator.listen();
    cluster.configure({ cloudbroker: { url, setupFile, credentialsFile, pollIntervalMs: 20 } });
    if ((await cluster.micado('up')).code !== 0) throw new Error('micado up failed');
    const driver = cloudBrokerDriver(cluster.config, 'CloudSigma', 'Node DSCR');
    const { worker } = await cluster.manager().joinTokens();
    const entry = swarmEntry(cluster.layout);
    const vmDriver = cloudBrokerDriver(cluster.config, 'CloudSigmaVM');
    const driverTimes: number[] = [];
    const jobTimes: number[] = [];
    const vmTimes: number[] = [];
    const { managerAddress, registry, catalog } = entry;
    const bootstrapOf = async (id: string) => ({ managerAddress, registry, catalog, joinToken: worker, tls: await entry.issueTls(id) }); // prettier-ignore
    for (let i = 0; i < 5; i++) {
      const id = `i-bench${i}`;
      const bootstrap = await bootstrapOf(id);
      driverTimes.push(
        await timed(() =>
          driver.start(
            { id, cloud: 'CloudSigma', pool: 'application', flavour: 'small' },
            bootstrap,
          ),
        ),
      );
      const job = [...emulator.jobs.values()].find((j) => j.name === `micado-${id}`)!;
      jobTimes.push(job.runningAt! - job.submittedAt!);
      await driver.stop(id);
      const vm = `i-benchvm${i}`;
      const vmBootstrap = await bootstrapOf(vm);
      vmTimes.push(
        await timed(
          () =>
          vmDriver.start({ id: vm, cloud: 'CloudSigmaVM', pool: 'application', flavour: 'small' }, vmBootstrap), // prettier-ignore
        ),
      );
      await vmDriver.stop(vm);
    }
    const total = median(driverTimes);
    const own = median(jobTimes);
    return [
      [
        'CloudBroker driver start (median of 5)',
        ms(total),
        `overhead = ${(((total - own) / own) * 100).toFixed(1)}% (budget 10%)`,
      ],
      ["emulator's own job start, same runs", ms(own), ''],
      ['node start through the instance API (cloud-init), median of 5', ms(median(vmTimes)), `instance/job ${(median(vmTimes) / total).toFixed(2)} (budget 1.1)`], // prettier-ignore
      ['  each run: instance API', vmTimes.map(ms).join(', '), ''],
      ['  each run: job API', driverTimes.map(ms).join(', '), ''],
    ];
  } finally {
    await cluster.destroy();
    await emulator.close();
    rmSync(files, { recursive: true, force: true });
  }
}
