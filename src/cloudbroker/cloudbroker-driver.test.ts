import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/config.js';
import { CloudBrokerClient } from './cloudbroker-client.js';
import { OneTimeSecrets } from '../host/one-time-secrets.js';
import { bootSecretsDir } from '../config/token-files.js';
import { tlsBundle } from '../cloud/cloud-driver.js';
import { CloudBrokerDriver } from './cloudbroker-driver.js';
import { catalogFromSetup } from './emulator/catalog.js';
import { CloudBrokerEmulator, type EmulatedJob } from './emulator/cloudbroker-emulator.js';
import type { CloudSetup } from './cloud-setup.js';

const SETUP: CloudSetup = {
  clouds: [
    {
      name: 'C1',
      api: 'jobs',
      provider: 'Provider',
      region: 'eu',
      flavours: { small: 'type-small' },
    },
  ],
  applications: [
    {
      name: 'Node',
      software: 'node-sw',
      executable: 'run.sh',
      parameters: '--instance {instance} --boot {boot}',
    },
  ],
};
const ACCOUNT = { email: 'a@example.org', password: 'pw' };
const BOOTSTRAP = {
  managerAddress: '10.0.0.2:2377',
  joinToken: 'SWMTKN-secret',
  registry: '10.0.0.2:5000',
  catalog: 'http://10.0.0.1:8500',
  tls: { ca: 'CA', cert: 'CERT', key: 'KEY' },
};

/** Machines that boot at once at a fixed address: the driver, not booting, is under test. */
const instantMachines = {
  start: async () => '10.9.9.9',
  boot: async () => '10.9.9.9',
  stop: async () => undefined,
};

let emulator: CloudBrokerEmulator | undefined;
const stateDirs: string[] = [];
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  for (const dir of stateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setUp(timing: { provisionTimeoutMs?: number; stopTimeoutMs?: number } = {}) {
  emulator = new CloudBrokerEmulator(ACCOUNT, catalogFromSetup(SETUP), instantMachines);
  const url = await emulator.listen();
  const config = {
    ...DEFAULT_CONFIG,
    stateDir: stateDirs[stateDirs.push(mkdtempSync(join(tmpdir(), 'micado-cb-driver-'))) - 1]!,
    cloudbroker: {
      ...DEFAULT_CONFIG.cloudbroker,
      url,
      pollIntervalMs: 10,
      provisionTimeoutMs: 3000,
      stopTimeoutMs: 3000,
      ...timing,
    },
  };
  const client = new CloudBrokerClient({
    baseUrl: url,
    ...ACCOUNT,
    timeoutMs: 300,
    sleep: async () => undefined,
  });
  return {
    emulator,
    config,
    url,
    driver: new CloudBrokerDriver(config, SETUP.clouds[0]!, SETUP.applications[0], client),
  };
}

describe('CloudBroker driver', () => {
  it('starts a job with the rendered parameters, its secrets behind a one-time code, and reports the machine', async () => {
    const { emulator, driver, config } = await setUp();
    const instance = await driver.start(
      { id: 'i-1', cloud: 'C1', pool: 'application', flavour: 'small', tag: 't1' },
      BOOTSTRAP,
    );
    expect(instance).toMatchObject({
      id: 'i-1',
      driver: 'cloudbroker',
      cloud: 'C1',
      address: '10.9.9.9',
      state: 'running',
      tag: 't1',
    });
    const [job] = [...emulator.jobs.values()];
    expect(job).toMatchObject({
      name: 'micado-i-1',
      instanceTypeId: 'type-small',
      arguments: expect.stringMatching(/^--instance i-1 --boot [A-Za-z0-9_-]{43}$/),
      status: 'running',
    });
    // What the platform keeps holds no secret; the code gives them out once.
    expect(job!.arguments).not.toContain('SWMTKN');
    const code = job!.arguments!.split(' ').pop()!;
    const secrets = new OneTimeSecrets(bootSecretsDir(config));
    // A line each: join token, TLS bundle, catalog read token (none here).
    expect(secrets.take(code)).toBe(`SWMTKN-secret\n${tlsBundle(BOOTSTRAP.tls)}\n\n`);
    expect(secrets.take(code)).toBeUndefined();
    expect(await driver.list()).toMatchObject([{ id: 'i-1', state: 'running' }]);
  });

  it('gives back every job of the instance on stop, one made twice by a late create included', async () => {
    const { emulator, driver } = await setUp();
    await driver.start(
      { id: 'i-2', cloud: 'C1', pool: 'application', flavour: 'small' },
      BOOTSTRAP,
    );
    const [first] = [...emulator.jobs.values()];
    const late: EmulatedJob = { ...first!, id: 'late-duplicate', status: 'running' };
    emulator.jobs.set(late.id, late);
    await driver.stop('i-2');
    expect(emulator.jobs.size).toBe(0);
    expect(await driver.list()).toEqual([]);
  });

  it('refuses a flavour the cloud lacks, before asking CloudBroker anything', async () => {
    const { emulator, driver } = await setUp();
    await expect(
      driver.start({ id: 'i-3', pool: 'application', flavour: 'huge' }, BOOTSTRAP),
    ).rejects.toThrow("cloud C1 has no flavour 'huge': use one of small");
    expect(emulator.requests).toEqual([]);
  });

  it('starts through a storm of transient faults on every step: one job, no duplicate', async () => {
    const { emulator, driver } = await setUp({ provisionTimeoutMs: 20_000 });
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    emulator.faults.storm = { until: Date.now() + 1500, faultRate: 0.6, maxLatencyMs: 20, random };
    const phases: string[] = [];
    const instance = await driver.start(
      { id: 'i-storm', pool: 'application', flavour: 'small' },
      BOOTSTRAP,
      (phase) => phases.push(phase),
    );
    expect(instance.state).toBe('running');
    expect([...emulator.jobs.values()].map((j) => [j.name, j.status])).toEqual([
      ['micado-i-storm', 'running'],
    ]);
    // It did meet faults, and went on past them.
    expect(phases.some((p) => /trying again|not read/.test(p))).toBe(true);
  });

  it('counts a job the platform no longer knows as stopped', async () => {
    const { emulator, driver } = await setUp();
    await driver.start({ id: 'i-gone', pool: 'application', flavour: 'small' }, BOOTSTRAP);
    emulator.jobs.clear();
    await driver.stop('i-gone');
    expect(await driver.list()).toEqual([]);
  });

  it('reports a stop the platform never answers, keeping the record; forget drops it', async () => {
    const { emulator, driver } = await setUp({ stopTimeoutMs: 1000 });
    await driver.start({ id: 'i-lost', pool: 'application', flavour: 'small' }, BOOTSTRAP);
    emulator.faults.storm = { until: Date.now() + 60_000, faultRate: 1, maxLatencyMs: 0 };
    await expect(driver.stop('i-lost')).rejects.toThrow(/CloudBroker: /);
    expect((await driver.list()).map((i) => [i.id, i.state])).toEqual([['i-lost', 'unknown']]);
    driver.forget('i-lost');
    expect(await driver.list()).toEqual([]);
    emulator.faults.storm = undefined;
  });

  it('fails at once on a fault that is not transient', async () => {
    const { emulator, config, url } = await setUp({ provisionTimeoutMs: 60_000 });
    const wrongAccount = new CloudBrokerClient({ baseUrl: url, ...ACCOUNT, password: 'wrong' });
    const driver = new CloudBrokerDriver(
      config,
      SETUP.clouds[0]!,
      SETUP.applications[0],
      wrongAccount,
    );
    const started = Date.now();
    await expect(
      driver.start({ id: 'i-auth', pool: 'application', flavour: 'small' }, BOOTSTRAP),
    ).rejects.toThrow(/Invalid email or password/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(emulator.jobs.size).toBe(0);
  });

  it('leaves no job and no record when the job fails', async () => {
    const { emulator, driver } = await setUp();
    emulator.faults.failJobs = true;
    await expect(
      driver.start({ id: 'i-4', pool: 'application', flavour: 'small' }, BOOTSTRAP),
    ).rejects.toThrow(/ended as failed/);
    expect(emulator.jobs.size).toBe(0);
    expect(await driver.list()).toEqual([]);
  });
});
