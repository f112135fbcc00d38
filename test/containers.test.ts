/**
 * Container commands against a real local cluster: build -> launch on a worker that
 * pulls from the private registry, list, info, logs, execute, copy, quit, remove, and
 * the bad-input corpus, each leaving nothing half-created.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { registryPushApi } from '../src/cluster/private-registry.js';
import { httpStatus } from '../src/host/http-probe.js';
import { connectEngine } from '../src/swarm/index.js';
import { eventually, TestCluster } from './support/test-cluster.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { UsageMeter } from '../src/monitor/usage-meter.js';
import { tarball as writeTarball, type Entry } from './support/tarball.js';

const work = mkdtempSync(join(tmpdir(), 'micado-containers-'));
const tarball = (name: string, entries: Entry[]) => writeTarball(work, name, entries);

const webFiles = (dir: string, baseImage: string): Entry[] => [
  {
    name: `${dir}/Dockerfile`,
    content: `FROM ${baseImage}\nCOPY index.html /www/index.html\nCOPY run.sh /run.sh\nCMD ["/run.sh"]\n`,
  },
  { name: `${dir}/index.html`, content: '<h1>hello micado</h1>\n' },
  {
    name: `${dir}/run.sh`,
    mode: 0o755,
    content: '#!/bin/sh\necho "serving on $PORT"\nexec httpd -f -p "$PORT" -h /www\n',
  },
];

describe('container commands', () => {
  // Launch waits are cut short so that the capacity case below ends quickly.
  const cluster = new TestCluster({ containers: { launchTimeoutMs: 8000, maxContextMb: 1 } });
  let workerAddress: string;
  let workerSocket: string;

  beforeAll(async () => {
    expect((await cluster.micado('up')).code).toBe(0);
    const start = await cluster.micado('start', '-f', 'small', '-t', 'w1', '--json');
    expect(start.code, start.stderr).toBe(0);
    const { instance } = JSON.parse(start.stdout);
    workerAddress = instance.address;
    workerSocket = join(cluster.config.stateDir, 'nodes', instance.id, 'docker.sock');
  });

  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('builds an image and launches it on a worker that pulls it from the private registry', async () => {
    const file = await tarball('web.tar', webFiles('container-web', cluster.layout.baseImage));
    const build = await cluster.micado('build', '-n', 'container-web', '-f', file, '--json');
    expect(build.code, build.stderr).toBe(0);
    expect(JSON.parse(build.stdout)).toMatchObject({ name: 'container-web', files: 3 });
    const worker = connectEngine({ socketPath: workerSocket });
    const image = `${cluster.layout.registry}/container-web:latest`;
    expect(await worker.hasImage(image)).toBe(false);

    const launch = await cluster.micado(
      'launch', '-i', 'container-web', '-n', 'web', '-e', 'PORT=8080', '-e', 'SECRET=hunter2',
      '--container-port', '8080', '-d', 'web.example.org', '--memory', '100m', '--cpu', '0.2', '--json',
    ); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    expect(JSON.parse(launch.stdout)).toMatchObject({
      name: 'container-web',
      state: 'running',
      replicas: { desired: 1, running: 1 },
    });
    // The service names the image by the digest the registry held at launch.
    const digest = await registryPushApi(cluster.layout).digest('container-web', 'latest');
    expect((await cluster.manager().inspectService('container-web')).image).toBe(`${image}@${digest}`);
    expect(await worker.hasImage(`${image}@${digest}`)).toBe(true);
    // With a domain, the engine chose the node port (the proxy is the way in); list says it.
    const [container] = JSON.parse((await cluster.micado('list', '-c', '--json')).stdout).containers;
    const [, port] = /^(\d+)->8080\/tcp$/.exec(container.ports[0])!;
    expect(await httpStatus(`http://${workerAddress}:${port}/index.html`, { timeoutMs: 2000 })).toBe(200);
  }); // prettier-ignore

  it('lists containers and instances, with capacity used and free', async () => {
    const list = JSON.parse((await cluster.micado('list', '-c', '-i', '--json')).stdout);
    expect(list.containers).toHaveLength(1);
    expect(list.containers[0]).toMatchObject({
      name: 'container-web',
      image: 'container-web',
      ports: [expect.stringMatching(/^\d+->8080\/tcp$/)],
      domain: 'web.example.org',
    });
    expect(list.instances[0]).toMatchObject({
      tag: 'w1',
      reserved: { cpuMilli: 200, memoryMb: 100 },
      capacity: { cpuMilli: 1000, memoryMb: 512 },
    });
    const table = (await cluster.micado('list', '-c')).stdout;
    expect(table).toMatch(/container-web\s+container-web\s+running\s+1\/1/);
  });

  it("gives a client's next container its image's name, or the one asked for", async () => {
    const next = await cluster.micado('launch', '-i', 'container-web', '-n', 'web', '--detach', '--json');
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout).name).toBe('container-web-web');
    const named = await cluster.micado('launch', '-i', 'container-web', '-n', 'web', '--container-name', 'container-web-orders', '--detach', '--json');
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout).name).toBe('container-web-orders');
    // A name that is not the client's own is refused, creating nothing.
    const foreign = await cluster.micado('launch', '-i', 'container-web', '-n', 'web', '--container-name', 'container-orders', '--detach');
    expect([foreign.code, foreign.stderr.trim()]).toEqual([2, "micado: --container-name container-orders is not client web's: name it container-web-NAME"]);
    const third = await cluster.micado('launch', '-i', 'container-web', '-n', 'web', '--detach');
    expect(third.code).toBe(1);
    expect(third.stderr.trim()).toBe('micado: client web already has container-web and container-web-web: name this one with --container-name container-NAME');
    for (const name of ['container-web-web', 'container-web-orders']) {
      const quit = await cluster.micado('quit', '-n', name, '--rm');
      expect(quit.code, quit.stderr).toBe(0);
    }
    const list = JSON.parse((await cluster.micado('list', '-c', '--json')).stdout);
    expect(list.containers.map((c: { client: string; name: string }) => [c.client, c.name])).toEqual([['web', 'container-web']]);
  }); // prettier-ignore

  it('keeps clients with their limits, and refuses a launch past them, creating nothing', async () => {
    const add = await cluster.micado('client', 'add', '-n', 'acme', '--membership', 'gold', '--max-containers', '1', '--max-memory', '200m');
    expect(add.code, add.stderr).toBe(0);
    // A new client starts from the defaults (clients.defaults), its flags on top.
    expect(add.stdout.trim()).toBe('client acme added: 1 containers, 50 replicas, 16000m CPU, 200 MB');
    const first = await cluster.micado('launch', '-i', 'container-web', '-n', 'acme', '--memory', '100m', '--detach');
    expect(first.code, first.stderr).toBe(0);
    const before = (await cluster.manager().listServices()).map((s) => s.name).sort();
    const second = await cluster.micado('launch', '-i', 'container-web', '-n', 'acme', '--memory', '100m', '--detach');
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toBe('micado: client acme may have 1 containers: it has 1, and this asks 1 more');
    const set = await cluster.micado('client', 'set', '-n', 'acme', '--max-containers', '5');
    expect(set.code, set.stderr).toBe(0);
    const memory = await cluster.micado('launch', '-i', 'container-web', '-n', 'acme', '--memory', '150m', '--detach');
    expect(memory.stderr.trim()).toBe('micado: client acme may have 200 MB of memory reserved: it has 100 MB, and this asks 150 MB more');
    expect((await cluster.manager().listServices()).map((s) => s.name).sort()).toEqual(before);
    const list = JSON.parse((await cluster.micado('client', 'list', '--json')).stdout);
    expect(list.clients).toEqual([expect.objectContaining({ name: 'acme', membership: 'gold', usage: { containers: 1, replicas: 1, reserved: { cpuMilli: 100, memoryMb: 100 } } })]);
    const unknown = await cluster.micado('client', 'set', '-n', 'nobody', '--max-containers', '2');
    expect([unknown.code, unknown.stderr.trim()]).toEqual([2, 'micado: no client nobody: add it with micado client add -n nobody']);
    const bad = await cluster.micado('client', 'set', '-n', 'acme', '--ttl', '-5m');
    expect([bad.code, bad.stderr.trim()]).toEqual([2, "micado: invalid --ttl '-5m': give a duration such as 30m, 24h or 7d, from a minute to a year"]);
    const kept = await cluster.micado('client', 'remove', '-n', 'acme');
    expect([kept.code, kept.stderr.trim()]).toEqual([1, 'micado: client acme still has container-acme: quit them, or remove with --force (which quits them)']);
    const removed = await cluster.micado('client', 'remove', '-n', 'acme', '--force');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('container container-acme is stopped and removed');
    expect((await cluster.manager().listServices()).map((s) => s.name)).not.toContain('container-acme');
    expect(JSON.parse((await cluster.micado('client', 'list', '--json')).stdout).clients).toEqual([]);
  }, 120_000); // prettier-ignore

  it('keeps time limits: warns of one running out, extends it, and the manager removes one that ran out', async () => {
    const zero = await cluster.micado('launch', '-i', 'container-web', '-n', 'brief', '--ttl', '0');
    expect([zero.code, zero.stderr.trim()]).toEqual([2, "micado: invalid --ttl '0': give a duration such as 30m, 24h or 7d, from a minute to a year"]);
    const launch = await cluster.micado('launch', '-i', 'container-web', '-n', 'brief', '--ttl', '30m', '--detach');
    expect(launch.code, launch.stderr).toBe(0);
    expect((await cluster.micado('list', '-c')).stderr).toMatch(/container-brief is removed in (29|30)m: extend it with micado extend -n container-brief --ttl 4h/);
    const extend = await cluster.micado('extend', '-n', 'container-brief', '--ttl', '4h');
    expect(extend.code, extend.stderr).toBe(0);
    expect(extend.stdout).toMatch(/^container container-brief is removed at \S+ \(in 4h\)$/m);
    expect((await cluster.micado('list', '-c')).stderr).not.toContain('container-brief');
    // Its time runs out: the manager removes it at its next cycle, and says so.
    await cluster.manager().updateService('container-brief', { labels: { 'micado.expires': new Date(Date.now() - 1000).toISOString() } });
    await eventually(async () => (await cluster.manager().listServices()).some((s) => s.name === 'container-brief') ? undefined : true, 60_000);
    const events = JSON.parse((await cluster.micado('events', '--json')).stdout) as { action: string; subject: string }[];
    expect(events.some((e) => e.action === 'expired' && e.subject === 'container-brief')).toBe(true);
  }, 90_000); // prettier-ignore

  it('reports who used what from the usage the manager metered, as a table, JSON and CSV', async () => {
    // Known usage, metered from a minute's refreshes as the manager's monitor does:
    // ledger's 2 replicas reserving 1 CPU and 1 GB in all, for 2 hours, 3 hours ago.
    const T = Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000;
    const store = SqliteStore.open(join(cluster.config.stateDir, 'micado.db'));
    try {
      const meter = new UsageMeter(60_000);
      for (let i = 0; i <= 120; i++) {
        const at = T + i * 60_000;
        const samples = i < 120 ? [{ at, kind: 'container' as const, subject: 'container-ledger', client: 'ledger', replicas: 2, reserved: { cpuMilli: 1000, memoryMb: 1024 }, cpuMilli: 250, memoryMb: 512 }] : [];
        await store.addUsage(meter.measure(at, samples));
      }
    } finally {
      await store.close();
    }
    const window = ['--since', new Date(T - 3_600_000).toISOString(), '--until', new Date(T + 4 * 3_600_000).toISOString()];
    const json = await cluster.micado('report', '-c', 'ledger', ...window, '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).clients).toEqual([{ client: 'ledger', containerHours: 4, cpuReservedHours: 2, cpuUsedHours: 0.5, memoryReservedGbHours: 2, memoryUsedGbHours: 1, nodesStarted: 0 }]);
    const table = await cluster.micado('report', '-c', 'ledger', ...window);
    expect(table.stdout).toMatch(/^ledger\s+4\.00\s+2\.00\s+0\.50\s+2\.00\s+1\.00\s+0$/m);
    const csv = await cluster.micado('report', '-c', 'ledger', ...window, '--csv');
    expect(csv.stdout.split('\n')[1]).toBe('client,ledger,4,2,0.5,2,1,0,');
    const backwards = await cluster.micado('report', '--since', '2026-10-02T00:00:00Z', '--until', '2026-10-01T00:00:00Z');
    expect([backwards.code, backwards.stderr.trim()]).toEqual([2, "micado: the report's window ends (2026-10-01T00:00:00.000Z) before it starts (2026-10-02T00:00:00.000Z)"]);
  }); // prettier-ignore

  it("scrubs long-stopped containers and a removed client's images, saying what it removed", async () => {
    // A client's image, then the client removed; and a container quit but kept.
    const file = await tarball('gone.tar', webFiles('container-gone', cluster.layout.baseImage));
    expect((await cluster.micado('build', '-n', 'container-gone', '-f', file, '--client', 'gone')).code).toBe(0);
    expect((await cluster.micado('client', 'add', '-n', 'gone')).code).toBe(0);
    expect((await cluster.micado('client', 'remove', '-n', 'gone')).code).toBe(0);
    expect((await cluster.micado('launch', '-i', 'container-web', '-n', 'idle', '--detach')).code).toBe(0);
    expect((await cluster.micado('quit', '-n', 'container-idle')).code).toBe(0);
    // Within the days it is kept, the stopped container stays.
    const first = await cluster.micado('scrub', '--json');
    expect(first.code, first.stderr).toBe(0);
    const kept = JSON.parse(first.stdout);
    expect(kept.removed).toEqual([expect.stringMatching(/^image gone\/container-gone \(latest\) of removed client gone$/)]);
    expect(await registryPushApi(cluster.layout).digest('gone/container-gone', 'latest')).toBeUndefined();
    expect(await registryPushApi(cluster.layout).digest('container-web', 'latest')).toMatch(/^sha256:/);
    const scrubbed = await cluster.micado('scrub', '--keep-stopped-days', '0');
    expect(scrubbed.code, scrubbed.stderr).toBe(0);
    expect(scrubbed.stdout).toMatch(/^removed container container-idle, stopped since \S+$/m);
    expect((await cluster.manager().listServices()).map((s) => s.name)).not.toContain('container-idle');
    const bad = await cluster.micado('scrub', '--keep-stopped-days', '-1');
    expect([bad.code, bad.stderr.trim()]).toEqual([2, "micado: invalid --keep-stopped-days '-1': give a number of days, 0 or more"]);
  }, 120_000); // prettier-ignore

  it('describes a container without showing environment values unless asked', async () => {
    const info = await cluster.micado('info', '-s', 'container-web', '--json');
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).not.toContain('hunter2');
    const parsed = JSON.parse(info.stdout);
    expect(parsed.spec.env).toEqual(['PORT=…', 'SECRET=…']);
    expect(parsed.spec.reservations).toEqual({ 'micado.cpu_milli': 200, 'micado.mem_mb': 100 });
    expect(parsed.tasks[0]).toMatchObject({ state: 'running', desired: 'running' });
    const shown = JSON.parse(
      (await cluster.micado('info', '-s', 'container-web', '--show-env', '--json')).stdout,
    );
    expect(shown.spec.env).toContain('SECRET=hunter2');
  });

  it('prints logs, and a follow ends cleanly when the container goes', async () => {
    const logs = await cluster.micado('logs', '-n', 'container-web', '--tail', '5');
    expect(logs.stdout).toContain('serving on 8080');

    const second = await cluster.micado(
      'launch',
      '-i',
      'container-web',
      '-n',
      'web2',
      '-e',
      'PORT=8081',
    );
    expect(second.code, second.stderr).toBe(0);
    const follower = cluster.spawnMicado('logs', '-n', 'container-web2', '--follow');
    onTestFinished(() => {
      follower.kill();
    });
    // Listen at once: the follower may well exit before quit below returns.
    const exited = new Promise<number | null>((resolve) => follower.on('exit', resolve));
    let seen = '';
    follower.stdout.on('data', (chunk) => (seen += chunk));
    const deadline = Date.now() + 20_000;
    while (!seen.includes('serving on 8081') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen).toContain('serving on 8081');
    const quit = await cluster.micado('quit', '-n', 'container-web2', '-rm');
    expect(quit.code, quit.stderr).toBe(0);
    expect(await exited).toBe(0);
  });

  it("runs commands in the container, and their exit code becomes micado's", async () => {
    const cat = await cluster.micado('execute', '-n', 'container-web', '-c', 'cat /www/index.html');
    expect(cat).toMatchObject({ code: 0, stdout: '<h1>hello micado</h1>\n' });
    const failing = await cluster.micado(
      'execute',
      '-n',
      'container-web',
      '--shell',
      '-c',
      'echo oops >&2; exit 7',
    );
    expect(failing).toMatchObject({ code: 7, stderr: 'oops\n' });
    const argv = await cluster.micado('execute', '-n', 'container-web', '--', 'ls', '-d', '/www');
    expect(argv).toMatchObject({ code: 0, stdout: '/www\n' });
    const piped = await cluster.micadoWithInput(
      'from stdin\n',
      'execute',
      '-n',
      'container-web',
      '--',
      'cat',
    );
    expect(piped).toMatchObject({ code: 0, stdout: 'from stdin\n' });
  });

  it('gives the command a terminal when micado has one', async () => {
    // script(1) runs micado on a pseudo-terminal, as a person at a shell would.
    const cli = join(import.meta.dirname, '../dist/bin/micado.js');
    const line = `node ${cli} execute -n container-web -c 'tty'; echo "exit=$?"`;
    const result = await new Promise<string>((resolve) => {
      execFile(
        'script',
        ['-qec', line, '/dev/null'],
        { env: cluster.env, timeout: 60_000 },
        (_e, stdout) => resolve(stdout),
      );
    });
    expect(result).toMatch(/\/dev\/pts\/\d+/);
    expect(result).toMatch(/exit=0/);
    const piped = await cluster.micado('execute', '-n', 'container-web', '-c', 'tty');
    expect(piped.stdout).toMatch(/not a tty/);
  });

  it('copies files into and out of the container', async () => {
    const local = join(work, 'note.txt');
    writeFileSync(local, 'copied in\n');
    expect((await cluster.micado('copy', local, 'container-web:/tmp/')).code).toBe(0);
    expect(
      (await cluster.micado('execute', '-n', 'container-web', '--', 'cat', '/tmp/note.txt')).stdout,
    ).toBe('copied in\n');
    expect((await cluster.micado('copy', local, 'container-web:/tmp/renamed.txt')).code).toBe(0);
    expect(
      (await cluster.micado('execute', '-n', 'container-web', '--', 'cat', '/tmp/renamed.txt'))
        .stdout,
    ).toBe('copied in\n');

    const out = join(work, 'out.html');
    expect((await cluster.micado('copy', 'container-web:/www/index.html', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('<h1>hello micado</h1>\n');
    expect((await cluster.micado('copy', 'container-web:/www', work)).code).toBe(0);
    expect(readFileSync(join(work, 'www', 'index.html'), 'utf8')).toBe('<h1>hello micado</h1>\n');
  });

  it('removes a launch that cannot start, saying why', async () => {
    const broken = await cluster.micado(
      'launch',
      '-i',
      'micado/base',
      '-n',
      'broken',
      '-s',
      '/no/such/script',
    );
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /container container-broken failed to start: .*; the container was removed/,
    );
    const noRoom = await cluster.micado(
      'launch',
      '-i',
      'micado/base',
      '-n',
      'huge',
      '--memory',
      '2g',
      '-s',
      'sleep',
      '-a',
      '600',
    );
    expect(noRoom.code).toBe(1);
    expect(noRoom.stderr).toMatch(
      /not running after 8 s: waiting for capacity: .*insufficient resources.*; the container was removed/,
    );
    const all = JSON.parse((await cluster.micado('list', '-c', '-a', '--json')).stdout);
    expect(all.containers.map((c: { name: string }) => c.name)).toEqual(['container-web']);
  });

  it('stops, refuses to remove a running container, and removes a stopped one', async () => {
    const refused = await cluster.micado('remove', '-n', 'container-web');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/container container-web is running: stop it first/);
    expect((await cluster.micado('quit', '-n', 'container-web')).code).toBe(0);
    const stopped = JSON.parse(
      (await cluster.micado('list', '-c', '-a', '--json')).stdout,
    ).containers;
    expect(stopped).toMatchObject([{ name: 'container-web', state: 'stopped' }]);
    expect(JSON.parse((await cluster.micado('list', '-c', '--json')).stdout).containers).toEqual(
      [],
    );
    expect((await cluster.micado('remove', '-n', 'container-web')).code).toBe(0);
    expect(
      JSON.parse((await cluster.micado('list', '-c', '-a', '--json')).stdout).containers,
    ).toEqual([]);
  });

  describe('bad input', () => {
    const base = () => cluster.layout.baseImage;
    // [what, argv, exit code, message]: each one line on stderr, and nothing made.
    const corpus: [string, () => Promise<string[]>, number, RegExp][] = [
      ['an unknown container', async () => ['quit', '-n', 'container-nope'], 1, /no container named 'container-nope'/],
      ['an invalid service name', async () => ['logs', '-n', 'web!'], 2, /invalid service name 'web!'/],
      ['a service that is not there', async () => ['logs', '-n', 'web'], 1, /no container named 'web'/],
      ['an invalid client name', async () => ['launch', '-i', 'micado/base', '-n', 'Bad_Name'], 2, /invalid client name 'Bad_Name'/],
      ['a port out of range', async () => ['launch', '-i', 'micado/base', '-n', 'p1', '-p', '70000'], 2, /invalid port '70000'/],
      ['a malformed environment variable', async () => ['launch', '-i', 'micado/base', '-n', 'e1', '-e', 'NOEQUALS'], 2, /invalid environment 'NOEQUALS': use KEY=VALUE/],
      ['an image that is not in the registry', async () => ['launch', '-i', 'nothere', '-n', 'i1'], 1, /image 'nothere' is not in the private registry/],
      ['an image from another registry', async () => ['launch', '-i', 'docker.io/library/nginx', '-n', 'i2'], 2, /is not in the private registry/],
      ['a bad memory size', async () => ['launch', '-i', 'micado/base', '-n', 'm1', '--memory', 'lots'], 2, /invalid memory 'lots'/],
      ['a missing tarball', async () => ['build', '-n', 'container-b', '-f', join(work, 'none.tar')], 2, /does not exist/],
      ['a tarball that is not a tar', async () => {
        const file = join(work, 'text.tar');
        writeFileSync(file, 'hello\n'.repeat(200));
        return ['build', '-n', 'container-b', '-f', file];
      }, 2, /is not a tar archive/],
      ['a tarball with no Dockerfile', async () => ['build', '-n', 'container-b', '-f', await tarball('nodf.tar', [{ name: 'container-b/a.txt', content: 'x' }])], 2, /has no container-b\/Dockerfile/],
      ['a tarball entry with an absolute path', async () => ['build', '-n', 'container-b', '-f', await tarball('abs.tar', [...webFiles('container-b', base()), { name: '/etc/evil', content: 'x' }])], 2, /absolute path/],
      ['a tarball entry with ..', async () => ['build', '-n', 'container-b', '-f', await tarball('dots.tar', [...webFiles('container-b', base()), { name: 'container-b/../../evil', content: 'x' }])], 2, /climbs out with '\.\.'/],
      ['a link leaving the build directory', async () => ['build', '-n', 'container-b', '-f', await tarball('link.tar', [...webFiles('container-b', base()), { name: 'container-b/passwd', type: 'symlink', linkname: '/etc/passwd' }])], 2, /points outside container-b\//],
      ['a file too large', async () => ['build', '-n', 'container-b', '-f', await tarball('big.tar', [...webFiles('container-b', base()), { name: 'container-b/big', content: 'x'.repeat(1_100_000) }])], 2, /too large at 'container-b\/big'/],
      ['a Dockerfile that fails to build', async () => ['build', '-n', 'container-b', '-f', await tarball('fail.tar', [{ name: 'container-b/Dockerfile', content: `FROM ${base()}\nCOPY missing.txt /\n` }])], 1, /build .*container-b:latest failed/],
    ]; // prettier-ignore

    it.each(corpus)('refuses %s', async (_, argv, code, message) => {
      const result = await cluster.micado(...(await argv()));
      expect(result.code).toBe(code);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      const all = JSON.parse((await cluster.micado('list', '-c', '-a', '--json')).stdout);
      expect(all.containers).toEqual([]);
      expect(await registryPushApi(cluster.layout).digest('container-b', 'latest')).toBeUndefined();
    });
  });
});
