/**
 * The CloudBroker driver through the project's emulator, whose instances are real local
 * nodes joining the swarm: start -> node Ready with its labels -> stop -> job deleted,
 * node gone; each injected fault survived or reported clearly, with no duplicate job
 * and no orphan node; credentials never in any output.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readCloudSetup } from '../src/cloudbroker/cloud-setup.js';
import { catalogFromSetup } from '../src/cloudbroker/emulator/catalog.js';
import {
  CloudBrokerEmulator,
  NO_FAULTS,
} from '../src/cloudbroker/emulator/cloudbroker-emulator.js';
import { LocalNodeBackend } from '../src/cloudbroker/emulator/local-node-backend.js';
import { TestCluster, eventually, type CliResult } from './support/test-cluster.js';
import { NODE_LABEL } from '../src/swarm/labels.js';

const EMAIL = 'operator@example.org';
const PASSWORD = 'S3cr3t-cb-Passw0rd';
const SECRET_FORMS = [PASSWORD, Buffer.from(`${EMAIL}:${PASSWORD}`).toString('base64')];

const files = mkdtempSync(join(tmpdir(), 'micado-cb-'));
const run = (file: string, args: string[]) =>
  new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(file, args, (error, stdout) => resolve({ code: error ? 1 : 0, stdout })),
  );
const setupFile = join(files, 'cloudsetup.xml');
const credentialsFile = join(files, 'cbcredentials');
copyFileSync(join(import.meta.dirname, '../packages/manager/cloudsetup.xml.example'), setupFile);
writeFileSync(credentialsFile, `${EMAIL}\n${PASSWORD}\n`, { mode: 0o600 });

describe('CloudBroker through the emulator', () => {
  const outputs: CliResult[] = [];
  let emulator: CloudBrokerEmulator;
  let cluster: TestCluster;

  const micado = async (...args: string[]) => {
    const result = await cluster.micado(...args);
    outputs.push(result);
    return result;
  };
  const start = (tag: string, ...extra: string[]) =>
    micado(
      'start',
      '-c',
      'CloudSigma',
      '-a',
      'Node DSCR',
      '-f',
      'small',
      '-t',
      tag,
      '-n',
      'application',
      ...extra,
    );
  const workers = async () => cluster.manager().listNodes({ role: ['worker'] });
  /** Stop and delete every job through the platform's API, as its user would by hand. */
  const stopByHand = async () => {
    const authorization = `Basic ${Buffer.from(`${EMAIL}:${PASSWORD}`).toString('base64')}`;
    for (const job of [...emulator.jobs.values()]) {
      const at = (path: string) => new URL(path, cluster.config.cloudbroker.url);
      await fetch(at(`jobs/${job.id}/stop.xml`), { method: 'PUT', headers: { authorization } });
      const deadline = Date.now() + 30_000;
      while (emulator.jobs.get(job.id)?.status !== 'completed' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await fetch(at(`jobs/${job.id}.xml`), { method: 'DELETE', headers: { authorization } });
    }
  };

  beforeAll(async () => {
    // The emulator's URL is only known once it listens: it goes into the cluster's config.
    cluster = new TestCluster();
    const catalog = catalogFromSetup(readCloudSetup(setupFile));
    emulator = new CloudBrokerEmulator(
      { email: EMAIL, password: PASSWORD },
      catalog,
      new LocalNodeBackend(cluster.config),
    );
    const url = await emulator.listen();
    cluster.configure({
      cloudbroker: {
        url,
        setupFile,
        credentialsFile,
        pollIntervalMs: 50,
        provisionTimeoutMs: 8000,
        requestTimeoutMs: 1000,
        stopTimeoutMs: 3000,
      },
    });
    expect((await micado('up')).code).toBe(0);
  });

  beforeEach(() => {
    emulator.faults = { ...NO_FAULTS };
  });

  // A test that failed half-way leaves its machines: stop them, so the next starts clean.
  afterEach(async () => {
    emulator.faults = { ...NO_FAULTS };
    const list = await cluster.micado('list', '-i', '--json');
    if (list.code !== 0) return; // the cluster is down
    const { instances } = JSON.parse(list.stdout) as { instances: { tag?: string }[] };
    for (const { tag } of instances) if (tag) await cluster.micado('stop', '-t', tag);
  });

  afterAll(async () => {
    await cluster.destroy();
    await emulator.close();
    expect(await cluster.leftovers()).toEqual([]);
    rmSync(files, { recursive: true, force: true });
    for (const result of outputs) {
      for (const secret of SECRET_FORMS) {
        expect(result.stdout + result.stderr).not.toContain(secret);
      }
    }
  });

  it('starts a node that is Ready with its labels, and stops it: job deleted, node gone', async () => {
    const started = await start('cb1', '--json');
    expect(started.code, started.stderr).toBe(0);
    const { instance } = JSON.parse(started.stdout);
    expect(instance).toMatchObject({
      driver: 'cloudbroker',
      cloud: 'CloudSigma',
      flavour: 'small',
      tag: 'cb1',
      state: 'running',
    });
    const [node] = await workers();
    expect(node?.state).toBe('ready');
    expect(node?.labels).toMatchObject({
      [NODE_LABEL.instance]: instance.id,
      [NODE_LABEL.driver]: 'cloudbroker',
      [NODE_LABEL.cloud]: 'CloudSigma',
      [NODE_LABEL.tag]: 'cb1',
      [NODE_LABEL.pool]: 'application',
    });
    expect(node?.capacity).toEqual({ 'micado.cpu_milli': 1000, 'micado.mem_mb': 512 });
    const jobs = [...emulator.jobs.values()];
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      name: `micado-${instance.id}`,
      status: 'running',
      permanentlyRunning: true,
    });

    const list = JSON.parse((await micado('list', '-i', '--json')).stdout);
    expect(list.instances).toMatchObject([
      { instance: instance.id, cloud: 'CloudSigma', tag: 'cb1', state: 'running', node: 'ready' },
    ]);

    const stopped = await micado('stop', '-t', 'cb1');
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(emulator.jobs.size).toBe(0);
    expect(await workers()).toEqual([]);
  });

  it('starts a VM through the instance API from micado start, shows its cloud id and cost, and stops it', async () => {
    const started = await micado('start', '-c', 'CloudSigmaVM', '-f', 'small', '-t', 'vm1', '-n', 'application', '--json'); // prettier-ignore
    expect(started.code, started.stderr).toBe(0);
    const { instance } = JSON.parse(started.stdout);
    expect(instance).toMatchObject({ driver: 'cloudbroker', cloud: 'CloudSigmaVM', tag: 'vm1', state: 'running' }); // prettier-ignore
    const [node] = await workers();
    expect(node?.labels).toMatchObject({ [NODE_LABEL.instance]: instance.id, [NODE_LABEL.cloud]: 'CloudSigmaVM', [NODE_LABEL.tag]: 'vm1' }); // prettier-ignore
    const [vm] = [...emulator.instances.values()].filter((i) => i.vm && i.status === 'running');
    expect(vm?.vm?.name).toBe(`micado-${instance.id}`);
    const table = (await micado('list', '-i')).stdout;
    expect(table).toMatch(/CLOUD ID +COST/);
    expect(table).toMatch(new RegExp(`vm1 .* ${vm!.id} \\(running\\) +\\d+\\.\\d\\d EUR`));
    // An instance cloud runs no application: one line, exit 2, nothing made.
    const refused = await micado(
      'start',
      '-c',
      'CloudSigmaVM',
      '-a',
      'Node DSCR',
      '-f',
      'small',
      '-t',
      'vm2',
    );
    expect([refused.code, refused.stderr.trim()]).toEqual([2, 'micado: cloud CloudSigmaVM boots VMs with cloud-init (api instances) and runs no application: drop the application']); // prettier-ignore
    const stopped = await micado('stop', '-t', 'vm1');
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(vm?.status).toBe('halted');
    expect(await workers()).toEqual([]);
  });

  it('boots a proxy through the instance API from the proxy package, serving HTTPS with its certificate', async () => {
    const [cert, key] = [join(files, 'site.pem'), join(files, 'site.key')];
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=shop.example', '-addext', 'subjectAltName=DNS:shop.example', '-keyout', key, '-out', cert]); // prettier-ignore
    const started = await micado('start', '-c', 'CloudSigmaVM', '-n', 'proxy', '-f', 'small', '-t', 'vmproxy', '--certificate', cert, '--key', key, '--json'); // prettier-ignore
    expect(started.code, started.stderr).toBe(0);
    const { instance } = JSON.parse(started.stdout);
    const [node] = await workers();
    expect(node?.engineLabels[NODE_LABEL.role]).toBe('proxy');
    expect(node?.capacity).toEqual({});
    // nginx answers on 443 with the certificate given: no route yet, so 404.
    // nginx starts once the node has joined: a moment after the start returns.
    const https = () => run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '5', '--cacert', cert, '--resolve', `shop.example:443:${instance.address}`, 'https://shop.example/']); // prettier-ignore
    expect(await eventually(async () => ((await https()).stdout === '000' ? undefined : (await https()).stdout), 30_000)).toBe('404'); // prettier-ignore
    // The user-data the VM booted from holds the key in a here-document, never as an argument.
    const kept = join(cluster.config.stateDir, 'emulator', 'user-data');
    const [script] = readdirSync(kept);
    const boot = readFileSync(join(kept, script!), 'utf8').split('\n').find((l) => l.includes('/execute.sh"'))!; // prettier-ignore
    expect(boot).toContain('MICADO_PROXY_HOME');
    expect(boot).toContain('--certificate-file');
    expect(boot).not.toContain(readFileSync(key, 'base64').slice(0, 40));
    expect((await micado('stop', '-t', 'vmproxy')).code).toBe(0);
  }, 90_000);

  it('serves a cloud-init client written by others (Python requests, as Occopus): VMs run what their user-data runs, at the address it reads, until it stops them', async () => {
    const catalog = catalogFromSetup(readCloudSetup(setupFile));
    const deployment = catalog.deployments.find((d) => d.name === 'micado-node-debian12')!.id;
    const www = join(files, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), 'served by cloud-init\n');
    // Occopus's resource handler: create with base64 cloud-init, poll instances/ID.xml,
    // read the IP, PUT instances/ID/stop (no .xml). One VM serves a page with busybox;
    // the other's script fails, which leaves the VM running, as on a real cloud.
    const script = `
import base64, os, sys, time, requests
base, email, password, deployment, itype, www, marker = sys.argv[1:8]
auth = (email, password)
xml = {"Content-Type": "application/xml", "Accept": "application/xml"}
def field(text, name):
    return text.split("<%s>" % name)[1].split("</%s>" % name)[0]
def create(name, user_data):
    body = ("<instance><deployment_id>%s</deployment_id><instance_type_id>%s</instance_type_id><name>%s</name>"
            "<cloud_init>%s</cloud_init><cloud_init_b64>true</cloud_init_b64></instance>"
            % (deployment, itype, name, base64.b64encode(user_data.encode()).decode()))
    r = requests.post(base + "instances.xml", data=body, headers=xml, auth=auth)
    assert r.status_code == 201, (r.status_code, r.text)
    return field(r.text, "id")
def status(vid):
    return requests.get(base + "instances/%s.xml" % vid, headers=xml, auth=auth).text
def until(check, what):
    for _ in range(1200):
        value = check()
        if value: return value
        time.sleep(0.05)
    sys.exit("never " + what)
def served(ip):
    try:
        return requests.get("http://%s:8080/" % ip, timeout=2)
    except requests.ConnectionError:
        return None
web = create("py-web", "#!/bin/sh\\nexec busybox httpd -f -p 8080 -h %s\\n" % www)
broken = create("py-broken", "#!/bin/sh\\necho ran > %s\\necho no such package >&2\\nexit 3\\n" % marker)
ip = field(until(lambda: "<status>running</status>" in status(web) and status(web), "running"), "external-ip-address")
page = until(lambda: served(ip), "served")
print("page", page.status_code, page.text.strip())
until(lambda: os.path.exists(marker), "ran")
print("broken", field(status(broken), "status"))
for vid in (web, broken):
    print("stop", requests.put(base + "instances/%s/stop" % vid, auth=auth).status_code)
for vid in (web, broken):
    until(lambda: field(status(vid), "status") == "halted", "halted")
print("stopped", served(ip) is None)
again = requests.put(base + "instances/%s/stop" % web, auth=auth)
print("again", again.status_code, field(again.text, "error"))
`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile('/usr/bin/python3', ['-c', script, cluster.config.cloudbroker.url, EMAIL, PASSWORD, deployment, '0b2e6a5c-4a16-4b4f-8a44-1f6d0d7c1a11', www, join(files, 'broken.ran')],
        { timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
    ); // prettier-ignore
    expect(out.trim().split('\n')).toEqual([
      'page 200 served by cloud-init',
      'broken running',
      'stop 200',
      'stop 200',
      'stopped True',
      'again 422 Instance is halted',
    ]);
    // Both VMs are gone with their machines.
    const machines = [...emulator.instances.values()].filter((i) => i.vm?.name?.startsWith('py-'));
    expect(machines.map((i) => i.status)).toEqual(['halted', 'halted']);
    expect((await run('ip', ['netns', 'list'])).stdout).not.toMatch(new RegExp(`${cluster.config.cluster.name}-vm-`)); // prettier-ignore
  }, 150_000);

  it("serves a job client written by others (Python, names looked up in the platform's lists): a job whose executable is no micado node still runs", async () => {
    const script = `
import sys, time, requests, xml.etree.ElementTree as ET
base, email, password = sys.argv[1:4]
auth = (email, password)
def listed(kind, name):
    records = ET.fromstring(requests.get(base + kind + ".xml?per_page=100", auth=auth).text)
    return next(r.findtext("id") for r in records if r.findtext("name") == name)
fields = {"name": "py-job", "software_id": listed("softwares", "DSCR node"),
          "executable_id": listed("executables", "executable.sh"),
          "resource_id": listed("resources", "CloudSigma Zurich"), "region_id": listed("regions", "zrh"),
          "instance_type_id": listed("instance_types", "small"), "arguments": "--greeting hello"}
body = "<job>%s</job>" % "".join("<%s>%s</%s>" % (k, v, k) for k, v in fields.items())
r = requests.post(base + "jobs.xml", data=body, headers={"Content-Type": "application/xml"}, auth=auth)
assert r.status_code == 201, (r.status_code, r.text)
job = ET.fromstring(r.text).findtext("id")
def until(status):
    for _ in range(1200):
        now = ET.fromstring(requests.get(base + "jobs/%s.xml" % job, auth=auth).text).findtext("status")
        if now == status: return now
        time.sleep(0.05)
    sys.exit("job never %s, last %s" % (status, now))
print("submit", requests.put(base + "jobs/%s/submit.xml" % job, auth=auth).status_code)
print("status", until("running"))
print("stop", requests.put(base + "jobs/%s/stop.xml" % job, auth=auth).status_code)
print("status", until("completed"))
print("delete", requests.delete(base + "jobs/%s.xml" % job, auth=auth).status_code)
`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile('/usr/bin/python3', ['-c', script, cluster.config.cloudbroker.url, EMAIL, PASSWORD], { timeout: 120_000 },
        (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
    ); // prettier-ignore
    expect(out.trim().split('\n')).toEqual(['submit 200', 'status running', 'stop 200', 'status completed', 'delete 200']); // prettier-ignore
    expect([...emulator.jobs.values()].filter((j) => j.name === 'py-job')).toEqual([]);
    expect(await workers()).toEqual([]);
  }, 150_000);

  it("fails a start at once on the platform's refusal (422), quoting it, leaving nothing", async () => {
    emulator.faults.refusedCreates = 1;
    const started = Date.now();
    const refused = await micado('start', '-c', 'CloudSigmaVM', '-f', 'small', '-t', 'vmrefused', '-n', 'application'); // prettier-ignore
    expect(Date.now() - started).toBeLessThan(5000);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('the instance type is not available in this region');
    expect(JSON.parse((await micado('list', '-i', '--json')).stdout).instances).toEqual([]);
    expect(await workers()).toEqual([]);
  });

  it('survives 5xx bursts, timeouts and latency on reads', async () => {
    emulator.faults = { ...NO_FAULTS, match: /^GET/, serverErrors: 2, timeouts: 1, latencyMs: 20 };
    const begun = Date.now();
    const started = await start('cb2');
    expect(started.code, started.stderr).toBe(0);
    // One hung read costs one request timeout (1 s here), not the whole start.
    expect(Date.now() - begun).toBeLessThan(10_000);
    // Every injected fault was met, and survived.
    expect(emulator.faults).toMatchObject({ serverErrors: 0, timeouts: 0 });
    expect((await micado('stop', '-t', 'cb2')).code).toBe(0);
    expect(emulator.jobs.size).toBe(0);
  });

  it('rides out an <errors> refusal of the create and a cut-off answer to the submit', async () => {
    const madeBefore = emulator.made.length;
    emulator.faults = { ...NO_FAULTS, match: /^POST/, errorBodies: 1 };
    const started = await start('cb4');
    expect(started.code, started.stderr).toBe(0);
    emulator.faults = { ...NO_FAULTS, match: /^PUT .*submit/, malformed: 1 };
    const again = await start('cb5');
    expect(again.code, again.stderr).toBe(0);
    expect([...emulator.jobs.values()].map((j) => j.status)).toEqual(['running', 'running']);
    expect(emulator.made.slice(madeBefore)).toHaveLength(2);
  });

  it('takes cloud, application and flavour names as the manual writes them', async () => {
    const started = await micado(
      'start', '-c', 'cloudsigma', '-a', 'node dscr', '-f', 'Small', '-t', 'cbcase', '--json',
    ); // prettier-ignore
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout).instance).toMatchObject({
      cloud: 'CloudSigma',
      flavour: 'small',
    });
    const [node] = await workers();
    expect(node?.labels).toMatchObject({
      [NODE_LABEL.cloud]: 'CloudSigma',
      [NODE_LABEL.flavour]: 'small',
    });
  });

  it('monitors, executes on and copies to a container on a CloudBroker node', async () => {
    expect((await start('cbexec')).code).toBe(0);
    const launch = await micado(
      'launch', '-i', 'micado/base', '-n', 'oncb', '-s', 'sleep', '-a', '3600', '--memory', '64m',
    ); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    const hostname = await micado('execute', '-n', 'container-oncb', '-c', 'cat /etc/hostname');
    expect(hostname.code, hostname.stderr).toBe(0);
    expect(hostname.stdout.trim()).toMatch(/^[0-9a-f]{12}$/);
    const file = join(files, 'to-copy.txt');
    writeFileSync(file, 'over the broker\n');
    const copied = await micado('copy', file, 'container-oncb:/tmp/');
    expect(copied.code, copied.stderr).toBe(0);
    const read = await micado('execute', '-n', 'container-oncb', '-c', 'cat /tmp/to-copy.txt');
    expect(read.stdout).toBe('over the broker\n');
    const once = await micado('monitor', '--once', '--json');
    expect(once.code, once.stderr).toBe(0);
    expect(JSON.parse(once.stdout)).toMatchObject({ nodes: 1, containers: 1, stale: [] });
    expect((await micado('remove', '-n', 'container-oncb')).code).not.toBe(0);
    expect((await micado('quit', '-n', 'container-oncb', '--rm')).code).toBe(0);
  });

  it('counts a job the broker no longer knows as stopped', async () => {
    expect((await start('cbforgot')).code).toBe(0);
    // The platform lost the job (deleted by hand, or expired): the machine is gone.
    const [job] = [...emulator.jobs.values()];
    emulator.jobs.delete(job!.id);
    const stopped = await micado('stop', '-t', 'cbforgot');
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(await workers()).toEqual([]);
  });

  it('says which machine is left running when the broker does not answer; --force forgets it', async () => {
    const started = await start('cbdead', '--json');
    expect(started.code, started.stderr).toBe(0);
    const { id } = JSON.parse(started.stdout).instance;
    emulator.faults = { ...NO_FAULTS, serverErrors: 1_000_000 };
    const refused = await micado('stop', '-t', 'cbdead');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `instance ${id} \\(tag cbdead\\) on CloudSigma could not be stopped and is left running: .*HTTP 503; try again, or micado stop -t cbdead --force to forget it`,
      ),
    );
    const forced = await micado('stop', '-t', 'cbdead', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/is forgotten, not stopped: stop it on CloudSigma yourself/);
    const list = JSON.parse((await micado('list', '-i', '--json')).stdout);
    expect(list.instances).toEqual([]);
    expect(await workers()).toEqual([]);
    const events = JSON.parse((await micado('events', '--json')).stdout) as { action: string }[];
    expect(events.map((e) => e.action)).toContain('forget');
    // As the message says, the machine is then stopped on the cloud by hand.
    emulator.faults = { ...NO_FAULTS };
    await stopByHand();
  });

  it('makes no second job when the answer to a create is lost', async () => {
    emulator.faults = { ...NO_FAULTS, lostCreates: 1 };
    const started = await start('cb3');
    expect(started.code, started.stderr).toBe(0);
    expect(emulator.requests.filter((r) => r === 'POST /jobs.xml').length).toBeGreaterThan(0);
    expect(emulator.jobs.size).toBe(1);
    expect((await workers()).length).toBe(1);
    expect((await micado('stop', '-t', 'cb3')).code).toBe(0);
  });

  it.each([
    [
      'an instance that never gets an address',
      { neverAddress: true },
      /has no running instance with an address after 8 s/,
    ],
    ['a job that fails', { failJobs: true }, /ended as failed before its instance was up/],
    // Transient faults are retried until the start's deadline (8 s here): only one
    // that lasts past it is reported.
    [
      'malformed XML on every read until the deadline',
      { match: /^GET/, malformed: 1000 },
      /CloudBroker: .*malformed XML/,
    ],
  ] as [string, Partial<typeof NO_FAULTS>, RegExp][])(
    'reports %s, leaving no job and no node',
    async (_, faults, message) => {
      emulator.faults = { ...NO_FAULTS, ...faults };
      const started = await start(`cbf${Math.floor(Math.random() * 1e6)}`);
      expect(started.code).toBe(1);
      const lines = started.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      emulator.faults = { ...NO_FAULTS };
      const deadline = Date.now() + 10_000;
      while (emulator.jobs.size > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(emulator.jobs.size).toBe(0);
      expect(await workers()).toEqual([]);
    },
  );

  it.each([
    [
      ['-c', 'Nowhere', '-a', 'Node DSCR'],
      2,
      /unknown cloud 'Nowhere': use one of local, CloudSigma/,
    ],
    [
      ['-c', 'CloudSigma', '-a', 'Nothing'],
      2,
      /unknown application 'Nothing': use one of Node DSCR/,
    ],
    [['-c', 'CloudSigma'], 2, /say which application to run on CloudSigma: -a NAME/],
  ])('refuses start %j', async (args, code, message) => {
    const result = await micado('start', ...args, '-f', 'small', '-t', 'bad1');
    expect(result.code, result.stderr).toBe(code);
    expect(result.stderr.trim()).toMatch(message);
    expect(emulator.jobs.size).toBe(0);
  });

  it('refuses credentials others can read, and wrong credentials, clearly', async () => {
    chmodSync(credentialsFile, 0o644);
    const open = await start('cb9');
    chmodSync(credentialsFile, 0o600);
    expect(open.code).toBe(2);
    expect(open.stderr.trim()).toBe(
      `micado: ${credentialsFile} is readable by group or others: run chmod 600 ${credentialsFile}`,
    );

    writeFileSync(credentialsFile, `${EMAIL}\nwrong-password\n`, { mode: 0o600 });
    const wrong = await start('cb9');
    writeFileSync(credentialsFile, `${EMAIL}\n${PASSWORD}\n`, { mode: 0o600 });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toMatch(/CloudBroker: GET .*: Invalid email or password/);
    expect(wrong.stderr).not.toContain('wrong-password');
  });

  // Last: it takes the cluster down.
  it('down says which machines are left running when the broker does not answer, and --force forgets them', async () => {
    const started = await start('cbdown', '--json');
    expect(started.code, started.stderr).toBe(0);
    const { id } = JSON.parse(started.stdout).instance;
    emulator.faults = { ...NO_FAULTS, serverErrors: 1_000_000 };
    const refused = await micado('down');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `1 machine\\(s\\) could not be stopped and are left running: ${id} on CloudSigma \\(.*HTTP 503\\); the cluster stays up: try again, or micado down --force to forget them`,
      ),
    );
    const status = JSON.parse((await micado('status', '--json')).stdout);
    expect(status.manager.state).toBe('running');
    const forced = await micado('down', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(`forgotten, not stopped: ${id} on CloudSigma`);
    const events = JSON.parse((await micado('events', '--json')).stdout) as {
      action: string;
      subject: string;
    }[];
    expect(events).toContainEqual(expect.objectContaining({ action: 'forget', subject: id }));
    emulator.faults = { ...NO_FAULTS };
    await stopByHand();
  });
});
