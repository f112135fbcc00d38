/**
 * The autoscaler through the CloudBroker emulator (whose jobs start real local nodes):
 * the main job end to end on a CloudBroker pool, and a pool whose jobs fail is backed
 * off while another pool takes the work.
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCloudSetup } from '../src/cloudbroker/cloud-setup.js';
import { catalogFromSetup } from '../src/cloudbroker/emulator/catalog.js';
import {
  CloudBrokerEmulator,
  NO_FAULTS,
} from '../src/cloudbroker/emulator/cloudbroker-emulator.js';
import { LocalNodeBackend } from '../src/cloudbroker/emulator/local-node-backend.js';
import { TestCluster, eventually } from './support/test-cluster.js';

const EMAIL = 'operator@example.org';
const PASSWORD = 'An0ther-cb-Passw0rd';

const files = mkdtempSync(join(tmpdir(), 'micado-cb-scaler-'));
const setupFile = join(files, 'cloudsetup.xml');
const credentialsFile = join(files, 'cbcredentials');
copyFileSync(join(import.meta.dirname, '../packages/manager/cloudsetup.xml.example'), setupFile);
writeFileSync(credentialsFile, `${EMAIL}\n${PASSWORD}\n`, { mode: 0o600 });
chmodSync(credentialsFile, 0o600);

const CB_POOL = {
  driver: 'cloudbroker',
  cloud: 'CloudSigma',
  application: 'Node DSCR',
  flavour: 'small',
  min: 0,
  max: 3,
};

describe('autoscaler through the CloudBroker emulator', () => {
  let cluster: TestCluster;
  let emulator: CloudBrokerEmulator;

  beforeAll(async () => {
    cluster = new TestCluster();
    emulator = new CloudBrokerEmulator(
      { email: EMAIL, password: PASSWORD },
      catalogFromSetup(readCloudSetup(setupFile)),
      new LocalNodeBackend(cluster.config),
    );
    const url = await emulator.listen();
    cluster.configure({
      cloudbroker: {
        url,
        setupFile,
        credentialsFile,
        pollIntervalMs: 50,
        // Long enough to outlast the storm below: transient faults never fail a start.
        provisionTimeoutMs: 60_000,
        requestTimeoutMs: 1000,
      },
      pools: {
        cb: CB_POOL,
        spare: { driver: 'local', flavour: 'small', min: 0, max: 3 },
        // Reached only by containers placed on it (-l vm): the instance API's pool.
        vm: { driver: 'cloudbroker', cloud: 'CloudSigmaVM', flavour: 'small', min: 0, max: 2 },
      },
      autoscaler: {
        scanIntervalMs: 500,
        backoffInitialMs: 60_000,
        scaleDownUnneededMs: 2000,
        scaleDownDelayAfterUpMs: 1000,
        scaleDownCooldownMs: 0,
      },
    });
    const up = await cluster.micado('up');
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    await cluster.destroy();
    await emulator.close();
    expect(await cluster.leftovers()).toEqual([]);
    rmSync(files, { recursive: true, force: true });
  });

  const events = async () =>
    JSON.parse((await cluster.micado('events', '--json')).stdout) as {
      action: string;
      subject: string;
      message: string;
    }[];

  it('starts a CloudBroker node for a container no node has room for, and runs it there', async () => {
    const launch = await cluster.micado(
      'launch', '-i', 'micado/base', '-n', 'cbjob', '-s', 'sleep', '-a', '3600', '--memory', '300m', '--json',
    ); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    expect(JSON.parse(launch.stdout)).toMatchObject({ name: 'container-cbjob', state: 'running' });
    const jobs = [...emulator.jobs.values()];
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.name).toMatch(/^micado-i-[0-9a-f]+$/);
    const { instances } = JSON.parse((await cluster.micado('list', '-i', '--json')).stdout);
    expect(instances).toMatchObject([
      { cloud: 'CloudSigma', pool: 'cb', state: 'running', node: 'ready' },
    ]);
    expect((await events()).map((e) => e.action)).toEqual(
      expect.arrayContaining(['scale-up', 'node-joined']),
    );
    const output = launch.stdout + launch.stderr + JSON.stringify(await events());
    expect(output).not.toContain(PASSWORD);
    // The load gone, the node is given back and its job deleted.
    expect((await cluster.micado('quit', '-n', 'container-cbjob', '--rm')).code).toBe(0);
    await eventually(async () => (emulator.jobs.size === 0 ? true : undefined), 60_000);
  });

  it("starts a VM through the instance API, booted by micado's cloud-init user-data, and gives it back", async () => {
    const launch = await cluster.micado(
      'launch', '-i', 'micado/base', '-n', 'cbvm', '-s', 'sleep', '-a', '3600', '--memory', '300m', '-l', 'vm', '--json',
    ); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    expect(JSON.parse(launch.stdout)).toMatchObject({ name: 'container-cbvm', state: 'running' });
    const vms = [...emulator.instances.values()].filter((i) => i.vm);
    expect(vms.map((i) => [i.vm?.name.replace(/i-[0-9a-f]+/, 'ID'), i.status])).toEqual([['micado-ID', 'running']]); // prettier-ignore
    const { instances } = JSON.parse((await cluster.micado('list', '-i', '--json')).stdout);
    expect(instances).toMatchObject([
      { cloud: 'CloudSigmaVM', pool: 'vm', state: 'running', node: 'ready', cloudId: vms[0]!.id, cloudState: 'running', cost: { currency: 'EUR' } },
    ]); // prettier-ignore
    const table = (await cluster.micado('list', '-i')).stdout;
    expect(table).toMatch(new RegExp(`${vms[0]!.id} \\(running\\) +\\d+\\.\\d\\d EUR`));
    // The user-data holds the join token: it is in no output, event or log.
    const log = readFileSync(
      join(cluster.config.stateDir, 'manager', 'micado-manager.log'),
      'utf8',
    );
    expect(launch.stdout + launch.stderr + table + JSON.stringify(await events()) + log).not.toMatch(/SWMTKN|BEGIN .*PRIVATE KEY/); // prettier-ignore
    expect((await cluster.micado('quit', '-n', 'container-cbvm', '--rm')).code).toBe(0);
    await eventually(async () => (vms[0]!.status === 'halted' ? true : undefined), 60_000);
    await eventually(async () => (JSON.parse((await cluster.micado('list', '-i', '--json')).stdout).instances.length === 0 ? true : undefined), 60_000); // prettier-ignore
  });

  it('rides out a storm of broker faults: every container runs on one job of its own, no backoff', async () => {
    const madeBefore = emulator.made.length;
    let seed = 11;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const stormMs = 10_000;
    emulator.faults = {
      ...NO_FAULTS,
      storm: { until: Date.now() + stormMs, faultRate: 0.3, maxLatencyMs: 500, random },
    };
    const names = ['s1', 's2', 's3'];
    try {
      for (const name of names) {
        const launch = await cluster.micado(
          'launch', '-i', 'micado/base', '-n', name, '-s', 'sleep', '-a', '3600', '--memory', '300m', '--detach',
        ); // prettier-ignore
        expect(launch.code, launch.stderr).toBe(0);
      }
      const running = async () => {
        const list = JSON.parse((await cluster.micado('list', '-c', '--json')).stdout);
        return (list.containers as { name: string; state: string }[]).filter(
          (c) => names.includes(c.name.replace('container-', '')) && c.state === 'running',
        ).length;
      };
      await eventually(async () => ((await running()) === 3 ? true : undefined), 120_000);
    } finally {
      emulator.faults = { ...NO_FAULTS };
    }
    // The storm was met, and did not make a job twice or back the pool off.
    expect(emulator.requests.length).toBeGreaterThan(0);
    const made = emulator.made.slice(madeBefore);
    expect(made).toHaveLength(3);
    expect(new Set(made).size).toBe(3);
    expect([...emulator.jobs.values()].filter((j) => j.status === 'running')).toHaveLength(3);
    const failures = (await events()).filter((e) => e.action === 'failure');
    expect(failures).toEqual([]);
    for (const name of names)
      expect((await cluster.micado('quit', '-n', `container-${name}`, '--rm')).code).toBe(0);
    await eventually(async () => (emulator.jobs.size === 0 ? true : undefined), 90_000);
  });

  it('backs off a pool whose jobs fail and uses the next pool', async () => {
    emulator.faults = { ...NO_FAULTS, failJobs: true };
    try {
      const launch = await cluster.micado(
        'launch', '-i', 'micado/base', '-n', 'fallback', '-s', 'sleep', '-a', '3600', '--memory', '300m', '--json',
      ); // prettier-ignore
      expect(launch.code, launch.stderr).toBe(0);
      const { instances } = JSON.parse((await cluster.micado('list', '-i', '--json')).stdout);
      expect(instances).toMatchObject([{ pool: 'spare', cloud: 'local', node: 'ready' }]);
      const all = await events();
      const failure = all.find((e) => e.action === 'failure');
      expect(failure?.message).toMatch(
        /^starting a node in pool cb failed: .*; pool backed off for (59|60) s$/,
      );
      expect(all.filter((e) => e.action === 'scale-up').map((e) => e.subject)).toContain('spare');
      // Nothing of the failed start is left: no job, no machine.
      expect([...emulator.jobs.values()].filter((j) => j.status !== 'failed')).toEqual([]);
      const metrics = await (await fetch(`http://${cluster.config.manager.listen}/metrics`)).text();
      expect(metrics).toMatch(/^micado_failures_total\{pool="cb"\} 1$/m);
    } finally {
      emulator.faults = { ...NO_FAULTS };
    }
  });
});
