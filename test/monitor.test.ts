/**
 * The monitor against a real local cluster: containers holding known amounts of
 * memory show up with plausible figures in list and info; a node whose engine stops
 * answering is marked stale without stopping the loop, ticks never overlap, and the
 * events log says so; a corrupt store is refused without losing it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { TestCluster, eventually } from './support/test-cluster.js';
import { tarball } from './support/tarball.js';

const work = mkdtempSync(join(tmpdir(), 'micado-monitor-'));

/** An image whose container holds HOG_MB megabytes in a shell variable, then sleeps. */
const hogFiles = (baseImage: string) => [
  {
    name: 'container-hog/Dockerfile',
    content: `FROM ${baseImage}\nCOPY hog.sh /hog.sh\nCMD ["sh", "/hog.sh"]\n`,
  },
  {
    name: 'container-hog/hog.sh',
    content: `x=$(head -c $((HOG_MB * 1048576)) /dev/zero | tr '\\0' a)\necho filled\nwhile :; do sleep 3600; done\n`,
  },
];

interface ListedContainer {
  name: string;
  usage?: { memoryMb: number; cpuMilli?: number; replicas: number };
}
interface Report {
  at: number;
  durationMs: number;
  containers: number;
  stale: { instance: string; reason: string }[];
}
interface ListedInstance {
  instance: string;
  used?: { memoryMb: number };
  stale?: boolean;
}

describe('monitor', () => {
  // The manager `up` starts refreshes on monitor.schedule too: a yearly one keeps it
  // out of these tests, which run the monitor themselves.
  const cluster = new TestCluster({
    monitor: { schedule: '0 0 1 1 *', nodeTimeoutMs: 2500 },
  });
  let instance: string;

  beforeAll(async () => {
    expect((await cluster.micado('up')).code).toBe(0);
    const start = await cluster.micado('start', '-f', 'small', '-t', 'm1', '--json');
    expect(start.code, start.stderr).toBe(0);
    instance = JSON.parse(start.stdout).instance.id;
    const base = `${cluster.layout.registry}/micado/base:latest`;
    const file = await tarball(work, 'hog.tar', hogFiles(base));
    const build = await cluster.micado('build', '-n', 'container-hog', '-f', file);
    expect(build.code, build.stderr).toBe(0);
    // Each reserves room for what its shell holds while it fills (up to twice the
    // variable): a container is held to what it reserved. Filling takes CPU: each may
    // use what its node has spare (--cpu-burst), not only the 0.1 CPU it reserves.
    for (const [name, mb, reserved] of [
      ['hog40', '40', '150m'],
      ['hog120', '120', '300m'],
    ] as const) {
      const launch = await cluster.micado(
        'launch', '-i', 'container-hog', '-n', name, '-e', `HOG_MB=${mb}`, '--memory', reserved, '--cpu-burst',
      ); // prettier-ignore
      expect(launch.code, launch.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    const down = await cluster.destroy();
    expect(down.code, down.stderr).toBe(0);
    expect(await cluster.leftovers()).toEqual([]);
    rmSync(work, { recursive: true, force: true });
  });

  it('shows nothing measured before the first refresh', async () => {
    const info = await cluster.micado('info', '-s', 'container-hog40');
    expect(info.stdout).toContain('usage        not measured yet');
  });

  it('measures what the containers hold', async () => {
    // The variable is filled a moment after the container starts (and while it fills,
    // the shell holds up to twice as much): wait until each says it is filled.
    for (const name of ['container-hog40', 'container-hog120']) {
      await eventually(async () =>
        (await cluster.micado('logs', '-n', name)).stdout.includes('filled') ? true : undefined,
      );
    }
    const once = await cluster.micado('monitor', '--once', '--json');
    expect(once.code, once.stderr).toBe(0);
    expect(JSON.parse(once.stdout)).toMatchObject({ nodes: 1, containers: 2, stale: [] });
    const list = await cluster.micado('list', '-c', '-i', '--json');
    const { containers, instances } = JSON.parse(list.stdout) as {
      containers: ListedContainer[];
      instances: ListedInstance[];
    };
    const memory = (name: string) => containers.find((c) => c.name === name)?.usage?.memoryMb;
    // The figures are the shell's variable plus the shell: a little more than asked.
    expect(memory('container-hog40')).toBeGreaterThan(38);
    expect(memory('container-hog40')).toBeLessThan(60);
    expect(memory('container-hog120')).toBeGreaterThan(115);
    expect(memory('container-hog120')).toBeLessThan(150);
    const node = instances.find((i) => i.instance === instance);
    expect(node?.stale).toBe(false);
    expect(node?.used?.memoryMb).toBeCloseTo(
      (memory('container-hog40') ?? 0) + (memory('container-hog120') ?? 0),
      0,
    );
    const table = await cluster.micado('list', '-c');
    expect(table.stdout).toMatch(/container-hog120 .* \d+(\.\d+)?\/300 /);
    const info = await cluster.micado('info', '-s', 'container-hog120');
    expect(info.stdout).toMatch(
      /usage +cpu [\d.]+m of 100m, memory 1\d\d(\.\d+)? of 300 MB reserved \(1 replica/,
    );
  });

  it('marks a node that stops answering stale, skips overlapping ticks, and goes on', async () => {
    const record = JSON.parse(
      readFileSync(join(cluster.config.stateDir, 'instances', `${instance}.json`), 'utf8'),
    );
    const dockerd: number = record.host.process.pid;
    cluster.env.MICADO_MONITOR_SCHEDULE = '* * * * * *';
    const monitor = cluster.spawnMicado('monitor', '--json');
    delete cluster.env.MICADO_MONITOR_SCHEDULE;
    let stdout = '';
    let stderr = '';
    monitor.stdout.on('data', (chunk) => (stdout += chunk));
    monitor.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => monitor.on('exit', resolve));
    onTestFinished(() => {
      process.kill(dockerd, 'SIGCONT');
      if (monitor.exitCode === null) monitor.kill('SIGKILL');
    });
    const reports = () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Report);
    const waitFor = async (what: string, check: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`no ${what} in:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitFor('refresh', () => reports().some((r) => r.containers === 2));
    process.kill(dockerd, 'SIGSTOP');
    await waitFor('stale node', () => reports().some((r) => r.stale.length > 0));
    expect(reports().find((r) => r.stale.length > 0)?.stale).toEqual([
      { instance, reason: 'no answer within 2.5 s' },
    ]);
    // Ticks come every second and a refresh now takes 2.5 s: they must be skipped.
    await waitFor('skipped tick', () => /this tick is skipped/.test(stderr));
    const during = JSON.parse((await cluster.micado('list', '-c', '-i', '--json')).stdout);
    expect(during.instances[0].stale).toBe(true);
    // What the stale node's containers measured before is kept, not dropped.
    expect(during.containers.map((c: ListedContainer) => c.usage?.replicas)).toEqual([1, 1]);
    process.kill(dockerd, 'SIGCONT');
    const seen = reports().length;
    await waitFor('recovery', () =>
      reports()
        .slice(seen)
        .some((r) => r.stale.length === 0 && r.containers === 2),
    );
    monitor.kill('SIGTERM');
    expect(await exited).toBe(0);
    // No refresh overlapped the one before it.
    const all = reports();
    for (let n = 1; n < all.length; n++) {
      expect(all[n]!.at - all[n]!.durationMs).toBeGreaterThanOrEqual(all[n - 1]!.at);
    }
    const events = JSON.parse((await cluster.micado('events', '--json', '--since', '5m')).stdout);
    expect(events.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['node-stale', 'node-answering']),
    );
  });

  it('lists events, from a time, as a table or JSON, and refuses a bad --since', async () => {
    const table = await cluster.micado('events');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^TIME +WHO +WHAT +SUBJECT +MESSAGE/);
    expect(table.stdout).toMatch(/cli:\w+ +start +i-[0-9a-f]+ +started a small node in pool/);
    expect(table.stdout).toMatch(/launch +container-hog40 +launched/);
    const limited = JSON.parse((await cluster.micado('events', '--json', '--limit', '1')).stdout);
    expect(limited).toHaveLength(1);
    const future = await cluster.micado('events', '--since', '2999-01-01T00:00:00Z');
    expect(future.stdout.trim()).toBe('no events');
    const bad = await cluster.micado('events', '--since', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      "micado: invalid --since 'yesterday': give a while ago (30s, 10m, 2h, 7d) or a time such as 2026-11-22T10:00:00Z",
    ]);
  });

  it('refuses a corrupt store in one line, keeps the file, and still lists from the engine', async () => {
    const file = join(cluster.config.stateDir, 'micado.db');
    const saved = readFileSync(file);
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    const garbage = Buffer.alloc(8192, 'x');
    writeFileSync(file, garbage);
    onTestFinished(() => writeFileSync(file, saved));
    const monitor = await cluster.micado('monitor', '--once');
    expect(monitor.code).toBe(1);
    expect(monitor.stderr.trim().split('\n')).toHaveLength(1);
    expect(monitor.stderr).toMatch(/the store .*micado\.db is corrupt .*: move it aside/);
    const events = await cluster.micado('events');
    expect(events.code).toBe(1);
    const list = await cluster.micado('list', '-c');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('container-hog40');
    expect(list.stderr).toMatch(/usage figures left out: the store .* is corrupt/);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });
});
