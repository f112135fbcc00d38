/**
 * A cloud in a machine, from the three tarballs only: a namespace acting as the
 * manager's VM boots the manager package (its own dockerd, `micado up` on it), whose
 * autoscaler starts a CloudBroker node (the emulator's job runs the node package's
 * execute.sh with the job's arguments, as a VM would) for a container no node has room
 * for; the proxy package boots a proxy node that joins with no capacity and answers on
 * port 80. Outside programs check it: Docker's own CLI against the VM's engine, curl
 * against the proxy, and systemd's own `systemd-analyze verify` against the services
 * each boot writes; a node and the manager's VM are then rebooted (the power cut, the
 * units started again as systemd would) and come back whole.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCloudSetup } from '../src/cloudbroker/cloud-setup.js';
import { catalogFromSetup } from '../src/cloudbroker/emulator/catalog.js';
import { CloudBrokerEmulator } from '../src/cloudbroker/emulator/cloudbroker-emulator.js';
import { LocalNodeBackend } from '../src/cloudbroker/emulator/local-node-backend.js';
import { namespacedArgv } from '../src/namespace-host/dockerd-command.js';
import { destroyLocalHost, type LocalHostRecord } from '../src/namespace-host/local-host.js';
import { vethName } from '../src/namespace-host/local-host.js';
import { clusterLayout } from '../src/cluster/cluster-layout.js';
import { createCgroup, removeEmptyCgroup } from '../src/host/cgroup.js';
import { createBridge, createNamespace, deleteLink } from '../src/host/network.js';
import { processRecordOf } from '../src/host/process.js';
import { ensureClusterTls, issueServerCertificate } from '../src/host/certificates.js';
import { TestCluster, eventually, run, type CliResult } from './support/test-cluster.js';
import { powerOff, startUnit, type Machine } from './support/machine-reboot.js';

const ROOT = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const EMAIL = 'operator@example.org';
const PASSWORD = 'A-cloud-in-a-machine-0';
const APPLICATION = (name: string, executable: string) => `
    <application>
      <name>${name}</name><software>DSCR ${executable.split('/')[0]}</software><executable>${executable}</executable>
      <parameters>--manager {manager} --registry {registry} --instance {instance} --pool {pool} --flavour {flavour} --tag {tag} --catalog {catalog} --boot {boot} --ca {ca}</parameters>
    </application>`;
const CLOUD_SETUP = `<cloudsetup>
  <clouds><cloud><name>CloudSigma</name><provider>CloudSigma Zurich</provider><region>zrh</region>
    <flavours><flavour><size>small</size><instance-type>0b2e6a5c-4a16-4b4f-8a44-1f6d0d7c1a11</instance-type></flavour></flavours>
  </cloud></clouds>
  <applications>${APPLICATION('Node DSCR', 'node/execute.sh')}${APPLICATION('Proxy DSCR', 'proxy/execute.sh')}</applications>
</cloudsetup>`;

describe('a cloud in a machine, from the tarballs', () => {
  // The host: the emulator's machines live on this cluster's bridge; no micado runs here.
  const host = new TestCluster();
  const work = mkdtempSync(join(tmpdir(), 'micado-cloud-'));
  const layout = clusterLayout(host.config);
  const name = host.config.cluster.name;
  const vm: LocalHostRecord = {
    namespace: `${name}-vm-manager`,
    hostVeth: vethName(name, 'vm-manager'),
    bridge: host.config.network.bridge,
    address: layout.managerAddress,
    prefix: layout.subnet.prefix,
    dir: join(host.config.stateDir, 'vm-manager'),
    cgroup: `${name}/vm-manager`,
  };
  const vmConfig = join(vm.dir, 'config.json');
  const engine = `unix://${join(vm.dir, 'engine', 'docker.sock')}`;
  let emulator: CloudBrokerEmulator;
  const outputs: CliResult[] = [];
  const pathBefore = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin';

  /** Run a command on the manager's VM: in its namespace and cgroup, under its name. */
  const onVm = (argv: string[], env: Record<string, string> = {}) =>
    new Promise<CliResult>((resolve) => {
      const procs = createCgroup(`${vm.cgroup}/shell`);
      const [file, ...args] = namespacedArgv(procs, vm.namespace, 'manager-vm', argv);
      execFile(
        file!,
        args,
        { env: { ...process.env, ...env }, timeout: 150_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          outputs.push({ code, stdout, stderr });
          resolve({ code, stdout, stderr });
        },
      );
    });
  const micado = (...args: string[]) =>
    onVm([join(vm.dir, 'bin', 'micado'), ...args], { MICADO_CONFIG: vmConfig });
  const docker = (...args: string[]) => run('docker', ['-H', engine, ...args]);
  /** systemd's own check of a machine's units: syntax, and that what they run is there. */
  const verifyUnits = async (dir: string, names: string[]) => {
    expect(readdirSync(dir).sort()).toEqual([...names].sort());
    const verified = await run('systemd-analyze', ['verify', ...names.map((n) => join(dir, n))]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stderr).toBe('');
  };
  /** The emulator's machine behind a swarm node (its hostname is its namespace's name). */
  const machineOf = (hostname: string): Machine & { dir: string } => {
    const records = join(host.config.stateDir, 'emulator-instances');
    for (const file of readdirSync(records)) {
      const { host: machine } = JSON.parse(readFileSync(join(records, file), 'utf8'));
      if (machine.namespace === hostname) return machine;
    }
    throw new Error(`no machine of the emulator is node ${hostname}`);
  };
  const swarmNodes = async () =>
    (await docker('node', 'ls', '--format', '{{.ID}} {{.Hostname}} {{.Status}}')).stdout.trim().split('\n').sort(); // prettier-ignore
  const events = async () => (await micado('events', '--json')).stdout;

  beforeAll(async () => {
    mkdirSync(vm.dir, { recursive: true, mode: 0o700 });
    const packed = await run('node', [join(ROOT, 'scripts/package.mjs')]);
    expect(packed.code, packed.stderr).toBe(0);
    for (const role of ['manager', 'node', 'proxy']) {
      const tarball = join(ROOT, 'dist/packages', `micado-${role}-${version}.tar.gz`);
      expect((await run('tar', ['-xzf', tarball, '-C', work])).code).toBe(0);
    }
    // No Node.js on the machines from here on, as on a Debian 12 VM (whose 18 micado
    // cannot use): a `node` first on PATH that refuses to run. The packages bring their own.
    mkdirSync(join(work, 'no-node'));
    writeFileSync(join(work, 'no-node', 'node'), '#!/bin/sh\necho "node: not on this machine" >&2\nexit 127\n', { mode: 0o755 }); // prettier-ignore
    process.env.PATH = `${join(work, 'no-node')}:${pathBefore}`;
    await createBridge(host.config.network.bridge, layout.gatewayCidr);
    await createNamespace(vm);

    const setupFile = join(vm.dir, 'cloudsetup.xml');
    writeFileSync(setupFile, CLOUD_SETUP);
    const credentialsFile = join(vm.dir, 'cbcredentials');
    writeFileSync(credentialsFile, `${EMAIL}\n${PASSWORD}\n`, { mode: 0o600 });
    chmodSync(credentialsFile, 0o600);
    const catalog = catalogFromSetup(readCloudSetup(setupFile));
    // A job's executable is the package script of that name, unpacked from its tarball.
    const scriptOf = (job: { executableId: string }) =>
      join(work, catalog.executables.find((e) => e.id === job.executableId)!.name);
    emulator = new CloudBrokerEmulator(
      { email: EMAIL, password: PASSWORD },
      catalog,
      new LocalNodeBackend(host.config, scriptOf),
    );
    // The VM reaches the broker over the bridge, at the host's end of it, over TLS (a
    // plain http URL off loopback is refused), with a certificate of a CA of the
    // platform's own, which the VM's micado is told to trust (cloudbroker.caFile).
    const gateway = layout.gatewayCidr.split('/')[0]!;
    const platformCa = await ensureClusterTls(join(work, 'platform'), 'platform');
    const served = await issueServerCertificate(platformCa, 'cloudbroker emulator', [gateway], join(work, 'platform', 'served')); // prettier-ignore
    const url = await emulator.listen(0, gateway, { cert: readFileSync(served.cert, 'utf8'), key: readFileSync(served.key, 'utf8') }); // prettier-ignore
    const caFile = platformCa.caCert;
    writeFileSync(
      vmConfig,
      JSON.stringify({
        stateDir: join(vm.dir, 'state'),
        cluster: { name: `${name}m` },
        pools: {
          cb: { driver: 'cloudbroker', cloud: 'CloudSigma', application: 'Node DSCR', flavour: 'small', min: 0, max: 2 },
        },
        cloudbroker: { url, caFile, setupFile, credentialsFile, pollIntervalMs: 50, provisionTimeoutMs: 60_000 },
        autoscaler: { scanIntervalMs: 500 },
      }),
    ); // prettier-ignore
  });

  afterAll(async () => {
    process.env.PATH = pathBefore;
    try {
      const down = await micado('down', '--purge');
      expect(down.code, down.stderr).toBe(0);
    } finally {
      await emulator?.close();
      const pid = Number(readFileSync(join(vm.dir, 'engine', 'dockerd.pid'), 'utf8'));
      vm.process = processRecordOf(pid);
      await destroyLocalHost(vm, 10_000);
      await deleteLink(host.config.network.bridge);
      removeEmptyCgroup(name);
      rmSync(host.config.stateDir, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
    expect(await host.leftovers()).toEqual([]);
    // Nothing secret ever reached what micado printed.
    for (const { stdout, stderr } of outputs) {
      expect(stdout + stderr).not.toContain(PASSWORD);
      expect(stdout + stderr).not.toContain('SWMTKN-');
      expect(stdout + stderr).not.toContain('PRIVATE KEY');
    }
  });

  it('bakes each image with deploy.sh, which finds everything installed and changes nothing', async () => {
    for (const role of ['manager', 'node', 'proxy']) {
      const deploy = await run(join(work, role, 'deploy.sh'), []);
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stdout).toMatch(/^deploy.sh: .* already installed$/m);
    }
  });

  it("boots the manager on the VM's own engine: swarm, registry and manager daemon, advertised at its address", async () => {
    const boot = await onVm([join(work, 'manager', 'execute.sh'), '--address', vm.address, '--root', vm.dir,
      '--config', vmConfig, '--bin-dir', join(vm.dir, 'bin')]);
    expect(boot.code, boot.stderr).toBe(0);
    expect(boot.stdout).toContain(`the manager is up at ${vm.address}`);
    // Docker's own CLI sees a swarm whose manager is the VM, drained, at its address.
    const nodes = await docker('node', 'ls', '--format', '{{.ManagerStatus}} {{.Availability}}');
    expect(nodes.stdout.trim()).toBe('Leader Drain');
    const info = await docker('info', '--format', '{{.Swarm.NodeAddr}}');
    expect(info.stdout.trim()).toBe(vm.address);
    // Every later command finds the cluster on that engine.
    const status = await micado('status', '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      manager: { state: 'running', address: vm.address },
      registry: { state: 'running', address: `${vm.address}:5000` },
      autoscaler: { state: 'running' },
    });
    // What a reboot starts again: the engine's and the manager's services, as systemd reads them.
    await verifyUnits(join(vm.dir, 'systemd'), ['micado-engine.service', 'micado-manager.service']);
  }); // prettier-ignore

  it('runs a container on a CloudBroker node booted from the node tarball', async () => {
    const launch = await micado('launch', '-i', 'micado/base', '-n', 'cloudy', '-s', 'sleep', '-a', '3600',
      '--memory', '300m', '--json');
    expect(launch.code, launch.stderr).toBe(0);
    const tasks = await docker('service', 'ps', 'container-cloudy', '--format', '{{.CurrentState}} {{.Node}}');
    expect(tasks.stdout).toMatch(/^Running /);
    const [job] = [...emulator.jobs.values()];
    expect(job?.status).toBe('running');
    // The node announces what the package was told, and the manager reaches its engine
    // over TLS by its instance's name: execute runs in the container.
    const execute = await micado('execute', '-n', 'container-cloudy', '-c', 'echo reached');
    expect(execute.code, execute.stderr).toBe(0);
    expect(execute.stdout.trim()).toBe('reached');
  }); // prettier-ignore

  it("boots a proxy node from the proxy tarball: role proxy, no capacity, serving a domain from the VM's https catalog on its own Node.js", async () => {
    const start = await micado('start', '-c', 'CloudSigma', '-a', 'Proxy DSCR', '-f', 'small', '-t', 'proxy01',
      '-n', 'proxy', '--json');
    expect(start.code, start.stderr).toBe(0);
    const { instance } = JSON.parse(start.stdout) as { instance: { id: string; address: string } };
    const status = JSON.parse((await micado('status', '--json')).stdout);
    const proxy = status.nodes.find((n: { instance?: string }) => n.instance === instance.id);
    expect(proxy).toMatchObject({ role: 'proxy', capacity: { cpuMilli: 0, memoryMb: 0 } });
    // curl, as a browser would ask for a domain no container claims; the container
    // launched earlier claimed none, so the route agent, reading the VM's catalog, has
    // only the default route to give.
    const answer = await run('curl', ['-s', '-H', 'Host: shop.example', '-w', '%{http_code}', `http://${proxy.address}/`]);
    expect(answer.stdout).toBe('micado proxy: no application is served at this address\n404');
    // A container on a domain is served through it: the route agent runs, on the Node.js
    // the proxy package carries (no other is on this machine's PATH).
    const launch = await micado('launch', '-i', 'micado/base', '-n', 'shop', '-d', 'shop.example', '--container-port', '80',
      '--memory', '16m', '-s', 'httpd', '-a', '-f', '-a', '-p', '-a', '80', '-a', '-h', '-a', '/etc');
    expect(launch.code, launch.stderr).toBe(0);
    const runtimes = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).flatMap((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('route-agent.js') ? [readlinkSync(`/proc/${pid}/exe`)] : [];
      } catch {
        return []; // exited meanwhile
      }
    }); // prettier-ignore
    expect(runtimes).toContain(join(work, 'proxy', 'runtime', 'node'));
    let page = { stdout: '' };
    const served = await eventually(async () => {
      page = await run('curl', ['-s', '-H', 'Host: shop.example', '-w', ' %{http_code}', `http://${proxy.address}/hostname`]);
      return page.stdout.endsWith(' 200') ? page.stdout : undefined;
    }, 30_000).catch(() => `never served; last answer: ${page.stdout}; agent: ${execFileSync('sh', ['-c', `tail -n 5 ${host.config.stateDir}/nodes/*/nginx/logs/route-agent.log; ls ${host.config.stateDir}/nodes/*/`]).toString()}`);
    expect(served).toMatch(/^[0-9a-f]{12}\n 200$/);
    // What a reboot starts again on the proxy: its engine, nginx and the route agent.
    await verifyUnits(join(machineOf(proxy.hostname).dir, 'systemd'), ['micado-node.service', 'micado-proxy-nginx.service', 'micado-route-agent.service']);
  }); // prettier-ignore

  it('brings a rebooted node back as the same node, with its task, and starts no second instance meanwhile', async () => {
    const nodesBefore = await swarmNodes();
    const jobsBefore = emulator.jobs.size;
    const where = (await docker('service', 'ps', 'container-cloudy', '--filter', 'desired-state=running', '--format', '{{.Node}}')).stdout.trim();
    const node = machineOf(where);
    const unit = join(node.dir, 'systemd', 'micado-node.service');
    await verifyUnits(join(node.dir, 'systemd'), ['micado-node.service']);
    await powerOff(node);
    // The swarm sees it down, its task waits, and the manager says it waits for the node.
    await eventually(async () => ((await swarmNodes()).some((n) => n.endsWith(`${where} Down`)) ? true : undefined), 60_000);
    await eventually(async () => ((await events()).includes(`node ${where} is down`) ? true : undefined), 30_000);
    // Its boot: the node's engine service started as systemd starts it.
    await startUnit(node, unit);
    await eventually(async () => ((await swarmNodes()).join() === nodesBefore.join() ? true : undefined), 60_000);
    await eventually(async () => ((await docker('service', 'ps', 'container-cloudy', '--filter', 'desired-state=running', '--format', '{{.CurrentState}} {{.Node}}')).stdout.startsWith('Running') ? true : undefined), 60_000);
    expect(emulator.jobs.size).toBe(jobsBefore);
    expect(await events()).toContain(`node ${where} is back`);
    // Its containers are kept apart again (the kernel forgot the rule at the power cut).
    const rule = await run('ip', ['netns', 'exec', node.namespace, 'iptables', '-C', 'FORWARD', '-i', 'docker0', '-o', 'docker0', '-j', 'DROP']);
    expect(rule.code, rule.stderr).toBe(0);
    const execute = await micado('execute', '-n', 'container-cloudy', '-c', 'echo back');
    expect(execute.stdout.trim(), execute.stderr).toBe('back');
  }); // prettier-ignore

  it('brings a rebooted proxy back serving: its engine, nginx and the route agent, in their units\' order', async () => {
    const status = JSON.parse((await micado('status', '--json')).stdout) as { nodes: { role: string; hostname: string; address: string }[] }; // prettier-ignore
    const proxy = status.nodes.find((n) => n.role === 'proxy')!;
    const machine = machineOf(proxy.hostname);
    const page = async () => (await run('curl', ['-s', '-m', '3', '-H', 'Host: shop.example', '-w', ' %{http_code}', `http://${proxy.address}/hostname`])).stdout; // prettier-ignore
    // The page is served again since the node's reboot (its task came back with the node).
    await eventually(async () => ((await page()).endsWith(' 200') ? true : undefined), 60_000);
    await powerOff(machine);
    expect(await page()).not.toMatch(/ 200$/);
    for (const unit of ['micado-node.service', 'micado-proxy-nginx.service', 'micado-route-agent.service'])
      await startUnit(machine, join(machine.dir, 'systemd', unit));
    // nginx serves the routes it last had at once; the agent follows the catalog again.
    await eventually(async () => ((await page()).endsWith(' 200') ? true : undefined), 60_000);
    await eventually(async () => ((await swarmNodes()).some((n) => n.endsWith(`${proxy.hostname} Ready`)) ? true : undefined), 60_000); // prettier-ignore
  }); // prettier-ignore

  it("brings the manager's rebooted VM back whole: its engine, the swarm with the same nodes, the registry and the manager daemon", async () => {
    const nodesBefore = await swarmNodes();
    const jobsBefore = emulator.jobs.size;
    const journal = join(vm.dir, 'journal.log');
    const machine: Machine = { namespace: vm.namespace, cgroup: vm.cgroup, hostname: 'manager-vm', journal };
    await powerOff(machine);
    // Its boot, in the units' order (micado-manager needs micado-engine).
    await startUnit(machine, join(vm.dir, 'systemd', 'micado-engine.service'));
    await eventually(async () => ((await docker('version')).code === 0 ? true : undefined), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}: the engine's journal ends ${readFileSync(journal, 'utf8').trim().split('\n').slice(-3).join(' / ')}`);
    });
    await startUnit(machine, join(vm.dir, 'systemd', 'micado-manager.service'));
    // systemd follows the daemon by the pid up wrote.
    const pid = Number(readFileSync(join(vm.dir, 'micado-manager.pid'), 'utf8'));
    expect(processRecordOf(pid)).toBeDefined();
    const status = JSON.parse((await micado('status', '--json')).stdout);
    expect(status).toMatchObject({ manager: { state: 'running' }, registry: { state: 'running' }, autoscaler: { state: 'running', pid } });
    await eventually(async () => ((await swarmNodes()).join() === nodesBefore.join() ? true : undefined), 60_000);
    expect(nodesBefore.every((n) => n.endsWith(' Ready'))).toBe(true);
    expect(emulator.jobs.size).toBe(jobsBefore);
    const execute = await micado('execute', '-n', 'container-cloudy', '-c', 'echo still here');
    expect(execute.stdout.trim(), execute.stderr).toBe('still here');
  }); // prettier-ignore
});
