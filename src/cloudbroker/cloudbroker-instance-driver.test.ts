import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/config.js';
import { CloudBrokerClient } from './cloudbroker-client.js';
import { CloudBrokerInstanceDriver } from './cloudbroker-instance-driver.js';
import { cloudBrokerDriver } from './cloudbroker-cloud.js';
import { CloudBrokerDriver } from './cloudbroker-driver.js';
import { catalogFromSetup } from './emulator/catalog.js';
import { CloudBrokerEmulator } from './emulator/cloudbroker-emulator.js';
import type { CloudDefinition, CloudSetup } from './cloud-setup.js';
import { nodeUserData, userDataArguments } from './node-user-data.js';

const CLOUD: CloudDefinition = {
  name: 'VMs',
  api: 'instances',
  provider: 'Provider',
  region: 'eu',
  deployment: 'node-image',
  keyPair: 'ops',
  openedPorts: '2376,2377',
  flavours: { small: 'type-small' },
};
const SETUP: CloudSetup = { clouds: [CLOUD], applications: [] };
const EXAMPLE = join(import.meta.dirname, '../../packages/manager/cloudsetup.xml.example');
const ACCOUNT = { email: 'a@example.org', password: 'pw-of-the-broker' };
const BOOTSTRAP = {
  managerAddress: '10.0.0.2:2377',
  joinToken: 'SWMTKN-1-secret-token',
  registry: '10.0.0.2:5000',
  catalog: 'http://10.0.0.1:8500',
  tls: { ca: 'CA', cert: 'CERT', key: 'KEY-SECRET' },
};

/** VMs that boot at once, keeping the user-data each was given: the driver is under test. */
function instantVms() {
  const booted = new Map<string, string>();
  return {
    booted,
    start: async () => '10.9.9.9',
    boot: async (id: string, userData: string) => (booted.set(id, userData), '10.9.9.8'),
    stop: async () => undefined,
  };
}

let emulator: CloudBrokerEmulator | undefined;
const stateDirs: string[] = [];
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  for (const dir of stateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setUp(timing: { provisionTimeoutMs?: number; stopTimeoutMs?: number } = {}) {
  const vms = instantVms();
  emulator = new CloudBrokerEmulator(ACCOUNT, catalogFromSetup(SETUP), vms);
  const url = await emulator.listen();
  const config = {
    ...DEFAULT_CONFIG,
    stateDir: stateDirs[stateDirs.push(mkdtempSync(join(tmpdir(), 'micado-cb-vm-'))) - 1]!,
    cloudbroker: { ...DEFAULT_CONFIG.cloudbroker, url, pollIntervalMs: 10, provisionTimeoutMs: 3000, stopTimeoutMs: 3000, ...timing }, // prettier-ignore
  };
  const client = (password = ACCOUNT.password) =>
    new CloudBrokerClient({ baseUrl: url, ...ACCOUNT, password, timeoutMs: 300, sleep: async () => undefined }); // prettier-ignore
  return { emulator, vms, url, config, driver: new CloudBrokerInstanceDriver(config, CLOUD, client()), client }; // prettier-ignore
}

const request = (id: string) => ({ id, cloud: 'VMs', pool: 'application', flavour: 'small', tag: 't1' }); // prettier-ignore

describe('CloudBroker instance driver', () => {
  it('starts a VM of the deployment from user-data that boots the node package, and shows its cloud id, state and cost', async () => {
    const { emulator, vms, driver } = await setUp();
    const phases: string[] = [];
    const instance = await driver.start(request('i-1'), BOOTSTRAP, (p) => phases.push(p));
    expect(instance).toMatchObject({ id: 'i-1', driver: 'cloudbroker', cloud: 'VMs', address: '10.9.9.8', state: 'running', tag: 't1' }); // prettier-ignore
    const [vm] = [...emulator.instances.values()];
    const catalog = catalogFromSetup(SETUP);
    expect(vm?.vm).toMatchObject({ name: 'micado-i-1', deploymentId: catalog.deployments[0]!.id, instanceTypeId: 'type-small', keyPairId: catalog.keyPairs[0]!.id, openedPort: '2376,2377' }); // prettier-ignore
    const userData = vms.booted.get(vm!.id)!;
    expect(userData.split('\n')[0]).toBe('#!/bin/sh');
    expect(userData).toContain('"${MICADO_NODE_HOME:-/opt/micado/node}/execute.sh"');
    const words = userDataArguments(userData)!;
    expect(words.slice(0, 10)).toEqual(['--manager', '10.0.0.2:2377', '--registry', '10.0.0.2:5000', '--instance', 'i-1', '--pool', 'application', '--flavour', 'small']); // prettier-ignore
    // The token and the key reach the VM in files of a mode-700 directory, not on the boot's command line.
    const boot = userData.split('\n').find((l) => l.includes('/execute.sh" '))!;
    expect(boot).toContain('--token-file "$secrets/join-token" --tls-file "$secrets/tls"');
    expect(boot).not.toMatch(/SWMTKN|KEY-SECRET|--token |--tls /);
    expect(userData).toContain(
      'cat > "$secrets/join-token" <<\'MICADO_SECRET_END\'\nSWMTKN-1-secret-token\nMICADO_SECRET_END',
    );
    const [listed] = await driver.list();
    expect(listed).toMatchObject({ id: 'i-1', cloudId: vm!.id, cloudState: 'running', state: 'running', cost: { currency: 'EUR' } }); // prettier-ignore
    // The user-data is a secret: nothing said along the way carries its token or key.
    expect(JSON.stringify([phases, instance, listed])).not.toMatch(/secret|KEY-SECRET/);
  });

  it('makes one VM when the answer to its create is lost, and when faults storm every step', async () => {
    const { emulator, driver } = await setUp({ provisionTimeoutMs: 20_000 });
    emulator.faults.lostCreates = 1;
    await driver.start(request('i-lost'), BOOTSTRAP);
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    emulator.faults.storm = { until: Date.now() + 1500, faultRate: 0.6, maxLatencyMs: 20, random };
    await driver.start(request('i-storm'), BOOTSTRAP);
    emulator.faults.storm = undefined;
    expect([...emulator.instances.values()].map((i) => [i.vm?.name, i.status]).sort()).toEqual([
      ['micado-i-lost', 'running'],
      ['micado-i-storm', 'running'],
    ]);
  });

  it('stops every VM of the instance, a late duplicate included, and forgets it', async () => {
    const { emulator, driver } = await setUp();
    await driver.start(request('i-2'), BOOTSTRAP);
    const [first] = [...emulator.instances.values()];
    emulator.instances.set('late', { ...first!, id: 'late', vm: { ...first!.vm! } });
    await driver.stop('i-2');
    expect([...emulator.instances.values()].map((i) => i.status)).toEqual(['halted', 'halted']);
    expect(await driver.list()).toEqual([]);
  });

  it('fails at once, with nothing left, on a deployment the platform lacks or a wrong account', async () => {
    const { emulator, config, client } = await setUp({ provisionTimeoutMs: 60_000 });
    const lacking = new CloudBrokerInstanceDriver(config, { ...CLOUD, deployment: 'no-such-image' }, client()); // prettier-ignore
    await expect(lacking.start(request('i-3'), BOOTSTRAP)).rejects.toThrow(/no deployment named 'no-such-image'/); // prettier-ignore
    const wrong = new CloudBrokerInstanceDriver(config, CLOUD, client('wrong'));
    const started = Date.now();
    await expect(wrong.start(request('i-4'), BOOTSTRAP)).rejects.toThrow(
      /Invalid email or password/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(emulator.instances.size).toBe(0);
    // The one whose stop could be asked is forgotten; the other stays known, as the
    // platform refused to say (down names it, and --force forgets it).
    expect((await lacking.list()).map((i) => i.id)).toEqual(['i-4']);
  });

  it('takes the deployment by id as well as by name', async () => {
    const { emulator, config, client } = await setUp();
    const id = catalogFromSetup(SETUP).deployments[0]!.id;
    const byId = new CloudBrokerInstanceDriver(config, { ...CLOUD, deployment: id }, client());
    expect((await byId.start(request('i-5'), BOOTSTRAP)).state).toBe('running');
    expect([...emulator.instances.values()][0]?.vm?.deploymentId).toBe(id);
  });

  it('gives back a VM whose boot halts it, and says so', async () => {
    const { emulator, driver } = await setUp();
    emulator.faults.failJobs = true;
    await expect(driver.start(request('i-6'), BOOTSTRAP)).rejects.toThrow(/went halted before it was up/); // prettier-ignore
    expect(await driver.list()).toEqual([]);
  });

  it('is the driver of a cloud whose api is instances, which runs no application', () => {
    const config = { ...DEFAULT_CONFIG, cloudbroker: { ...DEFAULT_CONFIG.cloudbroker, url: 'http://127.0.0.1:9/', setupFile: EXAMPLE } }; // prettier-ignore
    const env = { MICADO_CB_EMAIL: ACCOUNT.email, MICADO_CB_PASSWORD: ACCOUNT.password };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      expect(cloudBrokerDriver(config, 'CloudSigmaVM')).toBeInstanceOf(CloudBrokerInstanceDriver);
      expect(cloudBrokerDriver(config, 'CloudSigma', 'Node DSCR')).toBeInstanceOf(
        CloudBrokerDriver,
      );
      expect(() => cloudBrokerDriver(config, 'CloudSigmaVM', 'Node DSCR')).toThrow(
        'cloud CloudSigmaVM boots VMs with cloud-init (api instances) and runs no application: drop the application',
      );
    } finally {
      process.env = saved;
    }
  });

  it('quotes what it renders: a value with a quote stays one word', () => {
    const userData = nodeUserData({ instance: 'i-1', tag: "it's" });
    expect(userDataArguments(userData)).toEqual(['--instance', 'i-1', '--tag', "it's"]);
  });

  it('boots a proxy from the proxy package, its served key in a file and never on a command line', () => {
    const bundle = Buffer.from('-----BEGIN CERTIFICATE-----\nx\n-----BEGIN PRIVATE KEY-----\ny\n').toString('base64'); // prettier-ignore
    const proxy = nodeUserData({ instance: 'i-2', pool: 'proxy', certificate: bundle, token: 'SWMTKN-1-abc' }); // prettier-ignore
    const boot = proxy.split('\n').find((l) => l.includes('/execute.sh"'))!;
    expect(boot).toMatch(/^"\$\{MICADO_PROXY_HOME:-\/opt\/micado\/proxy\}\/execute\.sh" /);
    expect(boot).toContain('--certificate-file "$secrets/certificate"');
    expect(boot).not.toContain(bundle);
    expect(boot).not.toContain('SWMTKN');
    expect(proxy).toContain(`cat > "$secrets/certificate" <<'MICADO_SECRET_END'\n${bundle}\nMICADO_SECRET_END`); // prettier-ignore
    const worker = nodeUserData({ instance: 'i-3', pool: 'application' });
    expect(worker).toContain('"${MICADO_NODE_HOME:-/opt/micado/node}/execute.sh" ');
  });
});

describe('the emulator, as a client in another language calls it', () => {
  it('creates, polls to running, reads the addresses, stops and reads the costs (Python requests)', async () => {
    const { emulator, url } = await setUp();
    const catalog = catalogFromSetup(SETUP);
    // What a Python client sends: underscored fields, base64 cloud-init, stop without .xml.
    const script = `
import base64, sys, time, requests
base, email, password, deployment, itype = sys.argv[1:6]
auth = (email, password)
xml = {"Content-Type": "application/xml", "Accept": "application/xml"}
body = ("<instance><deployment_id>%s</deployment_id><instance_type_id>%s</instance_type_id>"
        "<name>py-vm</name><disable_autostop>true</disable_autostop><isolated>true</isolated>"
        "<cloud_init>%s</cloud_init><cloud_init_b64>true</cloud_init_b64></instance>"
        % (deployment, itype, base64.b64encode(b"#!/bin/sh\\necho hello\\n").decode()))
r = requests.post(base + "instances.xml", data=body, headers=xml, auth=auth)
assert r.status_code == 201, (r.status_code, r.text)
vid = r.text.split("<id>")[1].split("</id>")[0]
for _ in range(200):
    r = requests.get(base + "instances/%s.xml" % vid, headers=xml, auth=auth)
    if "<status>running</status>" in r.text: break
    time.sleep(0.02)
for field in ("external-ip-address", "internal-ip-address", "internal-hostname", "external-hostname"):
    print(field, r.text.split("<%s>" % field)[1].split("</%s>" % field)[0])
print("stop", requests.put(base + "instances/%s/stop" % vid, auth=auth).status_code)
print("costs", "<total>" in requests.get(base + "instances/%s/costs.xml" % vid, auth=auth).text)
bad = requests.post(base + "instances.xml", data="<instance><deployment_id>%s</deployment_id></instance>" % deployment, headers=xml, auth=auth)
print("missing type", bad.status_code, bad.text)
wrong = requests.get(base + "instances.xml", auth=(email, "nope"))
print("wrong account", wrong.status_code, wrong.text)
`;
    const out = await new Promise<string>(
      (resolve, reject) =>
      execFile('/usr/bin/python3', ['-c', script, url, ACCOUNT.email, ACCOUNT.password, catalog.deployments[0]!.id, 'type-small'], (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))), // prettier-ignore
    );
    expect(out.trim().split('\n')).toEqual([
      'external-ip-address 10.9.9.8',
      'internal-ip-address 10.9.9.8',
      expect.stringMatching(/^internal-hostname vm-\w+$/),
      expect.stringMatching(/^external-hostname vm-\w+$/),
      'stop 200',
      'costs True',
      "missing type 422 <errors><error>instance-type-id can't be blank</error></errors>",
      'wrong account 401 <errors><error>Invalid email or password</error><type>authentication</type></errors>',
    ]);
    await new Promise((r) => setTimeout(r, 50));
    expect([...emulator.instances.values()].map((i) => [i.vm?.name, i.status])).toEqual([['py-vm', 'halted']]); // prettier-ignore
  });
});
