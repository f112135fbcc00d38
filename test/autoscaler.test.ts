/**
 * The autoscaler on the local cluster, with the manager `micado up` starts: three
 * 300 MB containers on a pool of 512 MB nodes with none running -> exactly three
 * nodes -> all running; load removed -> nodes drained and given back; a container no
 * pool can hold is refused at once; the manager killed at each provisioning step and
 * restarted -> no duplicate, no orphan; dry-run changes nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { CLI, TestCluster, eventually, instanceLeftovers } from './support/test-cluster.js';
import { tarball } from './support/tarball.js';

const POOL = { driver: 'local', flavour: 'small', min: 0, max: 5 };
const FAST = {
  scanIntervalMs: 500,
  scaleDownUnneededMs: 3000,
  scaleDownDelayAfterUpMs: 1000,
  scaleDownCooldownMs: 0,
  drainTimeoutMs: 10_000,
};

interface Row {
  instance: string;
  pool?: string;
  node: string;
}

function managerPid(cluster: TestCluster): number {
  return JSON.parse(readFileSync(cluster.layout.stateFile, 'utf8')).autoscaler.pid;
}

async function instances(cluster: TestCluster): Promise<Row[]> {
  const list = await cluster.micado('list', '-i', '--json');
  expect(list.code, list.stderr).toBe(0);
  return JSON.parse(list.stdout).instances as Row[];
}

async function runningContainers(cluster: TestCluster): Promise<string[]> {
  const list = JSON.parse((await cluster.micado('list', '-c', '--json')).stdout);
  return (list.containers as { name: string; state: string }[])
    .filter((c) => c.state === 'running')
    .map((c) => c.name)
    .sort();
}

async function events(cluster: TestCluster): Promise<{ action: string; message: string }[]> {
  return JSON.parse((await cluster.micado('events', '--json')).stdout);
}

/** Every machine has a Ready node and every node a machine; the ledger has nothing open. */
async function expectNoOrphans(cluster: TestCluster): Promise<void> {
  const rows = await instances(cluster);
  for (const row of rows) {
    expect(row.node, `instance ${row.instance}`).toBe('ready');
    expect(row.instance).not.toBe('-');
  }
  const store = SqliteStore.open(join(cluster.config.stateDir, 'micado.db'));
  try {
    expect(await store.openIntents()).toEqual([]);
  } finally {
    await store.close();
  }
}

describe('autoscaler on the local cluster', () => {
  // Made in beforeAll, so a run that skips this suite leaves nothing behind.
  let cluster: TestCluster;
  let work: string;

  // A failed test shows what the manager did (its log goes with the cluster).
  afterEach(({ task }) => {
    if (task.result?.state !== 'fail') return;
    const log = join(cluster.config.stateDir, 'manager', 'micado-manager.log');
    if (existsSync(log)) console.log(readFileSync(log, 'utf8').split('\n').slice(-60).join('\n'));
  });

  beforeAll(async () => {
    cluster = new TestCluster({
      pools: { default: POOL },
      autoscaler: { ...FAST, replicaCooldownMs: 1000 },
      monitor: { schedule: '* * * * * *' },
    });
    work = mkdtempSync(join(tmpdir(), 'micado-scaler-'));
    const up = await cluster.micado('up');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/autoscaler +made +http:\/\/127\.0\.0\.1:\d+, pid \d+/);
  });

  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    const down = await cluster.destroy();
    expect(down.code, down.stderr).toBe(0);
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('starts exactly one 512 MB node per 300 MB container, and each runs', async () => {
    expect(await instances(cluster)).toEqual([]);
    // The first launch waits on a terminal and says what it waits for (a terminal that
    // reports no width, as script(1) makes here, gets its phases as lines).
    const command = `node ${CLI} launch -i micado/base -n a -s sleep -a 3600 --memory 300m`;
    const first = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        'script',
        ['-qec', `stty cols 0 rows 0; ${command}`, '/dev/null'],
        { env: cluster.env, timeout: 60_000 },
        (error, stdout) => resolve({ code: error ? 1 : 0, out: stdout.replace(/\r/g, '') }),
      ),
    );
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('waiting for capacity: starting a node in pool default\n');
    expect(first.out).toMatch(/^node i-[0-9a-f]+ of pool default joined: /m);
    expect(first.out).toMatch(
      /^container container-a is running on \S+ \(micado\/base\) in [\d.]+ s$/m,
    );
    for (const name of ['b', 'c']) {
      const launch = await cluster.micado(
        'launch', '-i', 'micado/base', '-n', name, '-s', 'sleep', '-a', '3600', '--memory', '300m', '--detach',
      ); // prettier-ignore
      expect(launch.code, launch.stderr).toBe(0);
    }
    await eventually(async () =>
      (await runningContainers(cluster)).length === 3 ? true : undefined,
    );
    const rows = await instances(cluster);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.pool === 'default' && r.node === 'ready')).toBe(true);
    const actions = (await events(cluster)).map((e) => e.action);
    expect(actions.filter((a) => a === 'node-joined')).toHaveLength(3);
    const metrics = await fetch(`http://${cluster.config.manager.listen}/metrics`);
    const text = await metrics.text();
    expect(text).toMatch(/^micado_scale_ups_total\{pool="default"\} 3$/m);
    expect(text).toMatch(/^micado_nodes\{pool="default",state="ready"\} 3$/m);
    expect(text).toMatch(/^micado_pending_tasks 0$/m);
    const health = await fetch(`http://${cluster.config.manager.listen}/healthz`);
    expect(health.status).toBe(200);
  });

  it('refuses at once a container no pool could ever hold, and says why', async () => {
    const started = Date.now();
    const huge = await cluster.micado(
      'launch', '-i', 'micado/base', '-n', 'huge', '-s', 'sleep', '-a', '3600', '--memory', '2g',
    ); // prettier-ignore
    expect(huge.code).toBe(1);
    expect(huge.stderr.trim().split('\n')).toEqual([
      "micado: a task of container-huge cannot run on any pool's nodes: it reserves 100m CPU, 2048 MB, more than a node of default has: see micado events; the container was removed",
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await events(cluster)).some((e) => e.action === 'unplaceable')).toBe(true);
    expect(await instances(cluster)).toHaveLength(3);
  });

  it('gives idle nodes back once the load is gone', async () => {
    for (const name of ['a', 'b', 'c']) {
      expect((await cluster.micado('quit', '-n', `container-${name}`, '--rm')).code).toBe(0);
    }
    const before = await instances(cluster);
    await eventually(
      async () => ((await instances(cluster)).length === 0 ? true : undefined),
      60_000,
    );
    for (const row of before) expect(await instanceLeftovers(cluster, row.instance)).toEqual([]);
    const removed = (await events(cluster)).filter((e) => e.action === 'node-removed');
    expect(removed).toHaveLength(3);
    expect(removed[0]?.message).toMatch(
      /given back \(giving back .* reserved under 50% for \d+ s\)/,
    );
  });

  it.each([
    ['with the intent recorded', 'intent'],
    ['with the machine made', 'machine'],
    ['with the node joined', 'node'],
  ])('makes no duplicate and no orphan when killed %s', async (_, step) => {
    const name = `k${step}`;
    const launch = await cluster.micado(
      'launch', '-i', 'micado/base', '-n', name, '-s', 'sleep', '-a', '3600', '--memory', '300m', '--detach',
    ); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    const store = SqliteStore.open(join(cluster.config.stateDir, 'micado.db'));
    try {
      // Kill the manager as soon as the step is seen (SIGKILL: nothing is tidied). The
      // steps last milliseconds on the local driver: they are watched closely.
      const records = join(cluster.config.stateDir, 'instances');
      const seen = async () => {
        if (step === 'intent') return (await store.openIntents()).length > 0;
        if (step === 'machine') return existsSync(records) && readdirSync(records).length > 0;
        return (await cluster.manager().listNodes({ role: ['worker'] })).length > 0;
      };
      const deadline = Date.now() + 30_000;
      while (!(await seen())) {
        if (Date.now() > deadline) throw new Error(`step ${step} not seen`);
        await new Promise((r) => setTimeout(r, 2));
      }
      process.kill(managerPid(cluster), 'SIGKILL');
    } finally {
      await store.close();
    }
    const up = await cluster.micado('up');
    expect(up.code, up.stderr).toBe(0);
    await eventually(async () =>
      (await runningContainers(cluster)).includes(`container-${name}`) ? true : undefined,
    );
    await eventually(async () => ((await instances(cluster)).length === 1 ? true : undefined));
    await expectNoOrphans(cluster);
    expect((await cluster.micado('quit', '-n', `container-${name}`, '--rm')).code).toBe(0);
    await eventually(
      async () => ((await instances(cluster)).length === 0 ? true : undefined),
      60_000,
    );
  });

  it('finishes giving back a node it was draining when it was killed', async () => {
    const launch = await cluster.micado(
      'launch', '-i', 'micado/base', '-n', 'halfway', '-s', 'sleep', '-a', '3600', '--memory', '300m',
    ); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    const [row] = await instances(cluster);
    expect((await cluster.micado('quit', '-n', 'container-halfway', '--rm')).code).toBe(0);
    // Kill the manager as soon as it has marked the node for giving back.
    const manager = cluster.manager();
    const deadline = Date.now() + 30_000;
    while (
      !(await manager.listNodes({ role: ['worker'] })).some(
        (n) => n.labels['micado.scaling-down'] === 'true',
      )
    ) {
      if (Date.now() > deadline) throw new Error('the node was not marked for giving back');
      await new Promise((r) => setTimeout(r, 2));
    }
    process.kill(managerPid(cluster), 'SIGKILL');
    expect((await cluster.micado('up')).code).toBe(0);
    await eventually(
      async () => ((await instances(cluster)).length === 0 ? true : undefined),
      60_000,
    );
    expect(await instanceLeftovers(cluster, row!.instance)).toEqual([]);
    expect(await manager.listNodes({ role: ['worker'] })).toEqual([]);
    // The restarted manager is the one that finished it.
    const removed = (await events(cluster)).filter((e) => e.action === 'node-removed');
    expect(removed.at(-1)?.message).toMatch(/given back \(half drained at start\)$/);
  });

  it('moves replicas with measured memory use, within the policy', async () => {
    const base = `${cluster.layout.registry}/micado/base:latest`;
    const file = await tarball(work, 'hog.tar', [
      { name: 'container-hog/Dockerfile', content: `FROM ${base}\nCOPY hog.sh /hog.sh\nCMD ["sh", "/hog.sh"]\n` },
      { name: 'container-hog/hog.sh', content: `x=$(head -c $((HOG_MB * 1048576)) /dev/zero | tr '\\0' a)\nwhile :; do sleep 3600; done\n` },
    ]); // prettier-ignore
    expect((await cluster.micado('build', '-n', 'container-hog', '-f', file)).code).toBe(0);
    const policy = await cluster.micado(
      'policy', 'set', '-i', 'container-hog', '--min', '1', '--max', '3', '--memory-high', '25', '--memory-low', '5', '--cpu-high', '1000', '--cpu-low', '1',
    ); // prettier-ignore
    expect(policy.code, policy.stderr).toBe(0);
    expect(policy.stdout).toBe(
      'policy for image container-hog: replicas 1-3; up over cpu 1000% or memory 25%, down under cpu 1% and memory 5% of reserved\n',
    );
    const launch = await cluster.micado(
      // Room to spare: the shell doubles its buffer while it fills, and a container is
      // killed past what it reserved.
      'launch', '-i', 'container-hog', '-n', 'hog', '-e', 'HOG_MB=80', '--memory', '250m', '--cpu-burst',
    ); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    const replicas = async () => {
      const info = JSON.parse(
        (await cluster.micado('info', '-s', 'container-hog', '--json')).stdout,
      );
      return info.replicas as { desired: number; running: number };
    };
    // 80 MB of 250 reserved is over 25%: up to the max of 3, and no further.
    await eventually(async () => ((await replicas()).running === 3 ? true : undefined), 60_000);
    // Under a container's own policy (low mark 90%), 32% is low: back down to its min.
    const own = await cluster.micado(
      'policy', 'set', '-n', 'container-hog', '--min', '2', '--max', '3', '--memory-high', '95', '--memory-low', '90', '--cpu-high', '1000', '--cpu-low', '1',
    ); // prettier-ignore
    expect(own.code, own.stderr).toBe(0);
    await eventually(async () => ((await replicas()).desired === 2 ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await replicas()).desired).toBe(2);
    // The first move follows the proportional rule on the usage it reports (how much a
    // busy machine shows while the hog fills its memory varies; the rule does not).
    const moves = (await events(cluster)).filter((e) => e.action === 'replicas');
    const first =
      /^container-hog: 1 → (\d) replicas \(cpu (\d+)%, memory (\d+)% of reserved per replica, over 1000%\/25%\)$/.exec(
        moves[0]?.message ?? '',
      );
    expect(first, moves[0]?.message).not.toBeNull();
    const [to, cpu, memory] = first!.slice(1).map(Number) as [number, number, number];
    // Figures are printed rounded: the rule may land on either side of half a percent.
    const wanted = [-0.5, 0.5].map((d) =>
      Math.min(3, Math.ceil(Math.max((cpu + d) / 1000, (memory + d) / 25))),
    );
    expect(to).toBeGreaterThan(1);
    expect(wanted).toContain(to);
    const list = await cluster.micado('policy', 'list');
    expect(list.stdout).toMatch(/image container-hog +1-3 +1\/1000 +5\/25/);
    expect(list.stdout).toMatch(/container-hog +2-3 +1\/1000 +90\/95/);
    expect((await cluster.micado('quit', '-n', 'container-hog', '--rm')).code).toBe(0);
  });

  it('keeps a warm node for the next container, wakes it, refills, and gives back only above warm', async () => {
    // The manager restarted with the pool keeping one node warm.
    process.kill(managerPid(cluster), 'SIGKILL');
    cluster.configure({ pools: { default: { ...POOL, warm: 1 } }, autoscaler: FAST, monitor: { schedule: '* * * * * *' } });
    expect((await cluster.micado('up')).code).toBe(0);
    type Listed = Row & { availability?: string };
    const listed = async () => (await instances(cluster)) as Listed[];
    const warmOnes = async () => (await listed()).filter((r) => r.availability === 'warm' && r.node === 'ready');
    // The last test's nodes go back; one node is kept warm.
    const onlyWarm = async () => {
      const rows = await listed();
      return rows.length === 1 && rows[0]!.availability === 'warm' && rows[0]!.node === 'ready' ? true : undefined;
    };
    await eventually(onlyWarm, 60_000);
    const [warm] = await warmOnes();
    // Idle by design, it is not given back (the manager gives idle nodes back after 3 s).
    await new Promise((r) => setTimeout(r, 4000));
    expect((await listed()).map((r) => [r.instance, r.availability])).toEqual([[warm!.instance, 'warm']]);
    // A container that fits it runs there, without a node to boot.
    const launch = await cluster.micado('launch', '-i', 'micado/base', '-n', 'hot', '-s', 'sleep', '-a', '3600', '--memory', '300m', '--json');
    expect(launch.code, launch.stderr).toBe(0);
    const info = JSON.parse((await cluster.micado('info', '-s', 'container-hot', '--json')).stdout);
    expect(JSON.stringify(info.tasks)).toContain(warm!.instance);
    const woken = (await events(cluster)).filter((e) => e.action === 'warm-woken');
    expect(woken.at(-1)?.message).toMatch(/^waking warm node \S+ of pool default for container-hot$/);
    // The buffer is refilled behind it, and the new warm node pulls the image in use.
    await eventually(async () => ((await warmOnes()).some((r) => r.instance !== warm!.instance) ? true : undefined), 60_000);
    const log = join(cluster.config.stateDir, 'manager', 'micado-manager.log');
    await eventually(async () => (/warm node \S+: pulled \S*micado\/base/.test(readFileSync(log, 'utf8')) ? true : undefined), 60_000);
    // The container gone, its node is idle: above warm, it goes back; the warm one stays.
    expect((await cluster.micado('quit', '-n', 'container-hot', '--rm')).code).toBe(0);
    await eventually(async () => ((await listed()).length === 1 ? true : undefined), 60_000);
    expect((await listed()).map((r) => r.availability)).toEqual(['warm']);
    const metrics = await (await fetch(`http://${cluster.config.manager.listen}/metrics`)).text();
    expect(metrics).toMatch(/^micado_warm_woken_total\{pool="default"\} 1$/m);
    expect(metrics).toMatch(/^micado_nodes\{pool="default",state="warm"\} 1$/m);
  }, 240_000); // prettier-ignore
});

describe('autoscaler in dry-run', () => {
  // Made in beforeAll, so a run that skips this suite leaves no state dir behind.
  let cluster: TestCluster;

  beforeAll(() => {
    cluster = new TestCluster({ pools: { default: POOL }, autoscaler: { ...FAST, dryRun: true } });
  });

  afterAll(async () => {
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('records what it would do and does nothing', async () => {
    expect((await cluster.micado('up')).code).toBe(0);
    const launch = await cluster.micado(
      'launch', '-i', 'micado/base', '-n', 'dry', '-s', 'sleep', '-a', '3600', '--memory', '300m', '--detach',
    ); // prettier-ignore
    expect(launch.code).toBe(0);
    const said = await eventually(async () => {
      const found = (await events(cluster)).find((e) => e.action === 'scale-up');
      return found;
    });
    expect(said.message).toBe(
      'dry run, not done: starting 1 small node in pool default for container-dry',
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(await instances(cluster)).toEqual([]);
    // The same decision is recorded once, not at every cycle.
    expect((await events(cluster)).filter((e) => e.action === 'scale-up')).toHaveLength(1);
  });
});
