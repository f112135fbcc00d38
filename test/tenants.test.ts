/**
 * Tenants apart, on a real cluster: each attack one client could make on another is
 * refused (a path of another's domain, another's image, another's container name, a
 * scrub by name prefix, racing launches past a quota, a memory hog, a fork bomb,
 * traffic to another's containers), while the same client's own operations pass.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryPushApi } from '../src/cluster/private-registry.js';
import { eventually, TestCluster } from './support/test-cluster.js';
import { tarball as writeTarball, type Entry } from './support/tarball.js';

const work = mkdtempSync(join(tmpdir(), 'micado-tenants-'));

/** An image whose page says whose build it was. */
const pageFiles = (dir: string, baseImage: string, says: string): Entry[] => [
  { name: `${dir}/Dockerfile`, content: `FROM ${baseImage}\nRUN echo ${says} > /says\nEXPOSE 80\nCMD ["httpd", "-f", "-p", "80", "-h", "/"]\n` }, // prettier-ignore
];

describe('tenants apart', () => {
  const cluster = new TestCluster({
    containers: { launchTimeoutMs: 20_000, pidsLimit: 64 },
    build: { memoryMb: 96, diskMb: 384, pidsLimit: 64 },
  });
  let workerSocket: string;
  const launch = (client: string, ...args: string[]) =>
    cluster.micado('launch', '-i', 'micado/base', '-n', client, '--memory', '16m', ...args);
  const sleeper = ['-s', 'sleep', '-a', '3600'];
  const httpd = ['-s', 'httpd', '-a', '-f', '-a', '-p', '-a', '80', '-a', '-h', '-a', '/etc'];
  /** What container `from` gets asking `target` (a name or an address) for `path`: the body's last line, or nc's error. */
  const ask = async (from: string, target: string, path = '/says') =>
    (await cluster.micado('execute', '-n', from, '--shell', '-c', `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${target} 80 2>&1 | tail -n 1`)).stdout.trim(); // prettier-ignore
  const build = async (name: string, says: string, ...args: string[]) => {
    const file = await writeTarball(work, `${says}.tar`, pageFiles(name, cluster.layout.baseImage, says)); // prettier-ignore
    return cluster.micado('build', '-n', name, '-f', file, ...args);
  };
  /** Build a Dockerfile of one RUN step. */
  const buildStep = async (name: string, step: string) => {
    const file = await writeTarball(work, `${name}.tar`, [{ name: `${name}/Dockerfile`, content: `FROM ${cluster.layout.baseImage}\nRUN ${step}\n` }]); // prettier-ignore
    return cluster.micado('build', '-n', name, '-f', file);
  };

  beforeAll(async () => {
    expect((await cluster.micado('up')).code).toBe(0);
    const start = await cluster.micado('start', '-f', 'small', '-t', 'w1', '--json');
    expect(start.code, start.stderr).toBe(0);
    const { instance } = JSON.parse(start.stdout);
    workerSocket = join(cluster.config.stateDir, 'nodes', instance.id, 'docker.sock');
  });

  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
  });

  it("keeps a client's images its own: another's build goes to its own namespace, and launching another's is refused", async () => {
    expect((await build('container-app', 'alpha', '--client', 'alpha')).code).toBe(0);
    const beta = await build('container-app', 'beta', '--client', 'beta', '--json');
    expect(beta.code, beta.stderr).toBe(0);
    expect(JSON.parse(beta.stdout)).toMatchObject({ client: 'beta', image: `${cluster.layout.registry}/beta/container-app:latest` }); // prettier-ignore
    // An operator's (shared) build of the same name changes neither client's image.
    expect((await build('container-app', 'shared')).code).toBe(0);
    const registry = registryPushApi(cluster.layout);
    const digests = await Promise.all(['alpha/container-app', 'beta/container-app', 'container-app'].map((r) => registry.digest(r, 'latest'))); // prettier-ignore
    expect(new Set(digests).size).toBe(3);
    // Each client launches its own image by the plain name; a client with none gets the shared one.
    for (const [client, says] of [['alpha', 'alpha'], ['beta', 'beta'], ['gamma', 'shared']] as const) {
      const run = await cluster.micado('launch', '-i', 'container-app', '-n', client, '--memory', '16m', '--json');
      expect(run.code, run.stderr).toBe(0);
      expect(await ask(`container-${client}`, 'localhost')).toBe(says);
    }
    const taken = await cluster.micado('launch', '-i', 'alpha/container-app', '-n', 'beta', '--container-name', 'container-beta-stolen', '--detach'); // prettier-ignore
    expect([taken.code, taken.stderr.trim()]).toEqual([1, "micado: image alpha/container-app is client alpha's: launch an image of client beta's own (micado build --client beta) or a shared one"]); // prettier-ignore
    expect((await cluster.manager().listServices()).map((s) => s.name)).not.toContain('container-beta-stolen');
    const base = await build('container-x', 'x', '--client', 'micado');
    expect(base.code).toBe(2);
    expect(base.stderr.trim()).toMatch(/^micado: --client micado names the base images' namespace/);
  }, 180_000); // prettier-ignore

  it('builds in a sandbox of its own: a step past a limit, or reaching out, fails in one line and leaves nothing', async () => {
    const cases: [string, string, RegExp][] = [
      ['container-hungry', 'dd if=/dev/zero of=/dev/null bs=200M count=1', /returned a non-zero code: 137.* \(killed past build\.memoryMb \(96 MB\)\)$/], // prettier-ignore
      ['container-filler', 'dd if=/dev/zero of=/big bs=1M count=600', /: dd: error writing '\/big': No space left on device \(its layers filled build\.diskMb \(384 MB\)\)$/], // prettier-ignore
      ['container-forks', 'i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done; wait', /can't fork: Resource temporarily unavailable \(past build\.pidsLimit \(64 processes\)\)$/], // prettier-ignore
      ['container-caller', `nc -w 2 ${cluster.layout.registry.replace(':', ' ')} </dev/null`, /: nc: can't connect to remote host .*: Network is unreachable$/], // prettier-ignore
    ];
    const builds = join(cluster.config.stateDir, 'builds');
    for (const [name, step, message] of cases) {
      const failed = await buildStep(name, step);
      expect(failed.code, name).toBe(1);
      expect(failed.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(failed.stderr.trim(), name).toMatch(message);
      expect(await registryPushApi(cluster.layout).digest(name, 'latest')).toBeUndefined();
    }
    // Past its time, with the configuration's build.timeoutMs cut short for this one.
    const file = join(work, 'short.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(cluster.env.MICADO_CONFIG!, 'utf8')), build: { timeoutMs: 3000 } })); // prettier-ignore
    const slow = await writeTarball(work, 'slow.tar', [{ name: 'container-slow/Dockerfile', content: `FROM ${cluster.layout.baseImage}\nRUN sleep 120\n` }]); // prettier-ignore
    const started = Date.now();
    const late = await cluster.micadoWithEnv({ MICADO_CONFIG: file }, 'build', '-n', 'container-slow', '-f', slow); // prettier-ignore
    expect([late.code, late.stderr.trim()]).toEqual([1, 'micado: the build ran past build.timeoutMs (3 s) and was stopped']); // prettier-ignore
    expect(Date.now() - started).toBeLessThan(60_000);
    // Nothing left of any sandbox: no directory, mount, cgroup or engine; nothing on the manager's engine.
    expect(existsSync(builds) ? readdirSync(builds) : []).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(builds);
    expect((await cluster.leftovers()).filter((l) => l.includes('builds'))).toEqual([]);
    const cgroups = readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h, cluster.config.cluster.name, 'builds')); // prettier-ignore
    expect(cgroups.filter((dir) => existsSync(dir))).toEqual([]);
    expect(await cluster.manager().hasImage(`${cluster.layout.registry}/alpha/container-app:latest`)).toBe(false); // prettier-ignore
  }, 240_000);

  it("keeps containers from reaching each other over a node's bridge, and a client's private network its own", async () => {
    // container-alpha and container-beta (from the test above) sit on their node's bridge:
    // neither reaches the other, at any of its addresses.
    const addressesOf = async (name: string) =>
      (await cluster.micado('execute', '-n', name, '--shell', '-c', "ip -4 -o addr | awk '$2 != \"lo\" {print $2, $4}'")).stdout // prettier-ignore
        .trim().split('\n').map((line) => line.replace(/\/\d+$/, '').split(' ') as [string, string]); // prettier-ignore
    const [[, bridged]] = (await addressesOf('container-alpha')) as [[string, string]];
    // (What must time out is asked at once: each waits out nc's 2 s.)
    const across = await Promise.all([ask('container-beta', bridged), ask('container-gamma', bridged)]); // prettier-ignore
    for (const answer of across) expect(answer).toMatch(/timed out/);
    // On alpha's private network, its containers reach each other by name; beta's own
    // private network knows neither the name nor the addresses.
    const own = ['--private-network', '--memory', '16m'];
    expect((await cluster.micado('launch', '-i', 'container-app', '-n', 'alpha', '--container-name', 'container-alpha-web', ...own)).code).toBe(0); // prettier-ignore
    expect((await launch('alpha', '--container-name', 'container-alpha-peer', '--private-network', ...sleeper)).code).toBe(0); // prettier-ignore
    expect((await launch('beta', '--container-name', 'container-beta-peer', '--private-network', ...sleeper)).code).toBe(0); // prettier-ignore
    expect(await ask('container-alpha-peer', 'container-alpha-web')).toBe('alpha');
    expect(await ask('container-beta-peer', 'container-alpha-web')).toMatch(
      /bad address|timed out/,
    );
    const addresses = await addressesOf('container-alpha-web');
    expect(addresses.map(([device]) => device)).toEqual(['eth0', 'eth1']); // its overlay, the node's gateway bridge
    const outsiders = addresses.flatMap(([, address]) => [ask('container-beta-peer', address), ask('container-beta', address)]); // prettier-ignore
    const [, overlay] = addresses.find(([device]) => device === 'eth0')!;
    expect(await ask('container-alpha-peer', overlay)).toBe('alpha');
    for (const answer of await Promise.all(outsiders)) expect(answer).toMatch(/timed out/);
    // Over the overlay, across nodes: two replicas on a fixed port never share a node.
    expect((await cluster.micado('start', '-f', 'small', '-t', 'w2')).code).toBe(0);
    const far = await launch('alpha', '--container-name', 'container-alpha-far', '--private-network', '-p', '8099', '--replicas', '2', ...sleeper); // prettier-ignore
    expect(far.code, far.stderr).toBe(0);
    for (const replica of ['1', '2']) {
      const reply = await cluster.micado('execute', '-n', 'container-alpha-far', '-r', replica, '--shell', '-c', "printf 'GET /says HTTP/1.0\\r\\n\\r\\n' | nc -w 2 container-alpha-web 80 | tail -n 1"); // prettier-ignore
      expect(reply.stdout.trim()).toBe('alpha');
    }
    for (const name of [
      'container-alpha-far',
      'container-alpha-peer',
      'container-alpha-web',
      'container-beta-peer',
    ])
      expect((await cluster.micado('quit', '-n', name, '--rm')).code).toBe(0);
    expect((await cluster.micado('stop', '-t', 'w2')).code).toBe(0);
    // The client's network goes with its last container on it.
    expect((await cluster.manager().listServices()).map((s) => s.name)).toContain(
      'container-alpha',
    );
  }, 180_000);

  it("refuses a path of another client's domain, and lets the owner add paths", async () => {
    const first = await launch('alpha', '--container-name', 'container-alpha-shop', '-d', 'shop.example', '--container-port', '80', ...httpd); // prettier-ignore
    expect(first.code, first.stderr).toBe(0);
    const refusal = "micado: domain shop.example belongs to client alpha: choose another domain, or have the operator hand it over (micado client set -n beta --domain shop.example)"; // prettier-ignore
    for (const domain of ['shop.example', 'SHOP.example']) {
      const login = await launch('beta', '--container-name', 'container-beta-login', '-d', domain, '--path', '/login', '--container-port', '80', ...httpd); // prettier-ignore
      expect([login.code, login.stderr.trim()]).toEqual([1, refusal.replace('domain shop.example belongs', `domain ${domain} belongs`)]); // prettier-ignore
    }
    const api = await launch('alpha', '--container-name', 'container-alpha-api', '-d', 'shop.example', '--path', '/api', '--container-port', '80', ...httpd); // prettier-ignore
    expect(api.code, api.stderr).toBe(0);
    const names = (await cluster.manager().listServices()).map((s) => s.name);
    expect(names).not.toContain('container-beta-login');
    for (const name of ['container-alpha-shop', 'container-alpha-api'])
      expect((await cluster.micado('quit', '-n', name, '--rm')).code).toBe(0);
  }, 120_000);

  it("refuses a container name that is another client's", async () => {
    const cases: [string[], number, string][] = [
      [['beta', '--container-name', 'container-alpha'], 2, "micado: --container-name container-alpha is not client beta's: name it container-beta-NAME"], // prettier-ignore
      [['beta', '--container-name', 'container-alpha-x'], 2, "micado: --container-name container-alpha-x is not client beta's: name it container-beta-NAME"], // prettier-ignore
    ];
    expect((await launch('alpha-corp', ...sleeper, '--detach')).code).toBe(0);
    cases.push([['alpha', '--container-name', 'container-alpha-corp-db'], 1, "micado: --container-name container-alpha-corp-db is a name of client alpha-corp's: choose another container-alpha-NAME"]); // prettier-ignore
    for (const [args, code, message] of cases) {
      const squat = await launch(...(args as [string, ...string[]]), ...sleeper, '--detach');
      expect([squat.code, squat.stderr.trim()]).toEqual([code, message]);
    }
    const own = await launch(
      'alpha',
      '--container-name',
      'container-alpha-db',
      ...sleeper,
      '--detach',
    );
    expect(own.code, own.stderr).toBe(0);
    for (const name of ['container-alpha-db', 'container-alpha-corp'])
      expect((await cluster.micado('quit', '-n', name, '--rm')).code).toBe(0);
  }, 120_000);

  it("scrubs a removed client's images by their owner, never another client's of the same prefix", async () => {
    for (const client of ['acme', 'acme-corp']) {
      expect((await build('container-site', client, '--client', client)).code).toBe(0);
      expect((await cluster.micado('client', 'add', '-n', client)).code).toBe(0);
    }
    expect((await cluster.micado('client', 'remove', '-n', 'acme')).code).toBe(0);
    const scrub = await cluster.micado('scrub', '--json');
    expect(scrub.code, scrub.stderr).toBe(0);
    expect(JSON.parse(scrub.stdout).removed).toEqual(['image acme/container-site (latest) of removed client acme']); // prettier-ignore
    const registry = registryPushApi(cluster.layout);
    expect(await registry.digest('acme/container-site', 'latest')).toBeUndefined();
    expect(await registry.digest('acme-corp/container-site', 'latest')).toMatch(/^sha256:/);
    expect((await cluster.micado('client', 'remove', '-n', 'acme-corp')).code).toBe(0);
  }, 180_000);

  it('holds a limit of 3 against 10 launches at the same moment: 3 made, 7 refused in one line, nothing half-made', async () => {
    const add = await cluster.micado('client', 'add', '-n', 'rush', '--max-containers', '3');
    expect(add.code, add.stderr).toBe(0);
    const launches = await Promise.all(
      Array.from({ length: 10 }, (_, i) => launch('rush', '--container-name', `container-rush-${i}`, '--memory', '8m', ...sleeper, '--detach')), // prettier-ignore
    );
    expect(launches.filter((l) => l.code === 0)).toHaveLength(3);
    const refused = launches.filter((l) => l.code !== 0);
    expect(refused).toHaveLength(7);
    for (const { code, stderr } of refused)
      expect([code, stderr.trim()]).toEqual([1, 'micado: client rush may have 3 containers: it has 3, and this asks 1 more']); // prettier-ignore
    const theirs = (await cluster.manager().listServices()).filter((s) => s.name.startsWith('container-rush-')); // prettier-ignore
    expect(theirs).toHaveLength(3);
    expect((await cluster.micado('client', 'remove', '-n', 'rush', '--force')).code).toBe(0);
  }, 120_000);

  it('stops one launch of a client with no record from asking for a fleet', async () => {
    const fleet = await launch('greedy', '--replicas', '999', ...sleeper, '--detach');
    expect(fleet.code).toBe(1);
    expect(fleet.stderr.trim()).toMatch(/^micado: client greedy may have \d+ replicas: it has 0, and this asks 999 more$/); // prettier-ignore
    expect((await cluster.manager().listServices()).map((s) => s.name)).not.toContain(
      'container-greedy',
    );
  });

  it('kills a container past its memory while its neighbour lives, stops a fork bomb at its pids limit, and drops raw sockets', async () => {
    const calm = await launch('calm', ...httpd);
    expect(calm.code, calm.stderr).toBe(0);
    const manager = cluster.manager();
    const [calmTask] = await manager.listTasks({ service: ['container-calm'], 'desired-state': ['running'] }); // prettier-ignore
    // dd's buffer is its block: 200 MB asked by a container that reserved 16.
    const hog = await launch('hog', '--detach', '-s', 'dd', '-a', 'if=/dev/zero', 'of=/dev/null', 'bs=200M', 'count=1'); // prettier-ignore
    expect(hog.code, hog.stderr).toBe(0);
    const killed = await eventually(async () =>
      (await manager.listTasks({ service: ['container-hog'] })).find((t) => /137/.test(t.error ?? t.message ?? '')), 60_000); // prettier-ignore
    expect(killed).toBeDefined();
    // A fork bomb in a container of its own: its forks fail at the pids limit (64 here).
    expect((await launch('bomb', ...sleeper)).code).toBe(0);
    await cluster.micado('execute', '-n', 'container-bomb', '--shell', '-c',
      'i=0; while [ $i -lt 300 ]; do sleep 600 >/dev/null 2>&1 & i=$((i+1)); done 2>/dev/null; true'); // prettier-ignore
    const worker = new Docker({ socketPath: workerSocket });
    const [bombContainer] = await worker.listContainers({ filters: JSON.stringify({ label: ['com.docker.swarm.service.name=container-bomb'] }) }); // prettier-ignore
    const stats = await worker.getContainer(bombContainer!.Id).stats({ stream: false });
    expect(stats.pids_stats?.limit).toBe(64);
    expect(stats.pids_stats?.current).toBeLessThanOrEqual(64);
    expect(stats.pids_stats?.current).toBeGreaterThan(32);
    // The neighbour still answers, and is the same task it was.
    expect(await ask('container-calm', 'localhost', '/hostname')).toMatch(/^[0-9a-f]{12}$/);
    expect((await cluster.micado('execute', '-n', 'container-calm', '-c', 'echo alive')).stdout.trim()).toBe('alive'); // prettier-ignore
    const running = await manager.listTasks({ service: ['container-calm'], 'desired-state': ['running'] }); // prettier-ignore
    expect(running.map((t) => t.id)).toEqual([calmTask!.id]);
    // No raw sockets (NET_RAW, bit 13, out of its capabilities), and no new privileges.
    const status = (await cluster.micado('execute', '-n', 'container-calm', '-c', 'cat /proc/self/status')).stdout; // prettier-ignore
    const effective = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(status)![1]}`);
    expect(effective & (1n << 13n)).toBe(0n);
    expect(status).toMatch(/^NoNewPrivs:\s*1$/m);
    for (const name of ['container-calm', 'container-hog', 'container-bomb'])
      expect((await cluster.micado('quit', '-n', name, '--rm')).code).toBe(0);
  }, 180_000);
});
