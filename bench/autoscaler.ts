/**
 * Autoscaler benchmarks, side by side in one run:
 * - decisions: a scale-up decision on a simulated 100-node cluster (from the engine's
 *   lists to the node requests); one simulation on 1000 nodes and 30,000 tasks.
 * - packing: nodes requested for a mixed trace against the lower bound (total demand
 *   over the flavour's size, CPU or memory, whichever is larger).
 * - the whole cycle on the local driver: a service no node has room for -> the manager
 *   asks for a node -> Ready -> the task running, next to bare Swarm in the same run
 *   (a service pinned to a node made with the bare steps, made right after the
 *   service); micado's share is the difference. Ready -> running is reported for both,
 *   run by run, to see what makes a run slow.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster } from '../test/support/test-cluster.js';
import { buildClusterView } from '../src/autoscaler/cluster-view.js';
import { planScaleUp } from '../src/autoscaler/scale-up.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../src/swarm/index.js';
import { destroyLocalHost, type LocalHostRecord } from '../src/namespace-host/local-host.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { bareNode } from '../test/support/bare-node.js';
import { median, ms } from './measure.js';
import { CONTAINER_LABEL } from '../src/swarm/labels.js';

const SMALL = { cpus: 1, memoryMb: 512 };
const POOLS = { default: { driver: 'local', flavour: 'small', min: 0, max: 100_000 } };
const LIMITS = { maxNodes: 1e9, maxCpuMilli: 1e12, maxMemoryMb: 1e12 };

function simulated(nodes: number, running: number, pending: number, seed = 1) {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const swarmNodes: SwarmNode[] = Array.from({ length: nodes }, (_, n) => ({
    id: `n${n}`,
    version: 1,
    hostname: `h${n}`,
    role: 'worker',
    state: 'ready',
    availability: 'active',
    address: '',
    engineLabels: { 'micado.pool': 'default', 'micado.instance': `i-${n}` },
    labels: {},
    capacity: { 'micado.cpu_milli': 1000, 'micado.mem_mb': 512 },
  }));
  const service: SwarmService = {
    id: 's', version: 1, name: 'container-s', image: 'x', replicas: running + pending,
    labels: { [CONTAINER_LABEL.name]: 'container-s' }, reservations: {}, constraints: [],
    ports: [], command: [], args: [], env: [], createdAt: '', updatedAt: '',
  }; // prettier-ignore
  const task = (id: number, nodeId: string | undefined): SwarmTask => {
    const memory = [64, 128, 200, 256, 300, 400][Math.floor(random() * 6)]!;
    return {
      id: `t${id}`, serviceId: 's', nodeId, slot: id, desiredState: 'running',
      state: nodeId ? 'running' : 'pending', message: '', error: undefined, containerId: undefined,
      reservations: { 'micado.cpu_milli': 100 + Math.floor(random() * 5) * 100, 'micado.mem_mb': memory },
      ports: [], updatedAt: '',
    }; // prettier-ignore
  };
  const tasks = [
    ...Array.from({ length: running }, (_, t) => task(t, `n${t % Math.max(1, nodes)}`)),
    ...Array.from({ length: pending }, (_, t) => task(running + t, undefined)),
  ];
  return { swarmNodes, services: [service], tasks };
}

function decide(input: ReturnType<typeof simulated>) {
  const view = buildClusterView(input.swarmNodes, input.tasks, input.services, []);
  return planScaleUp({
    view, pools: POOLS, flavours: { small: SMALL }, limits: LIMITS,
    poolStates: new Map(), scaleUpCooldownMs: 0, now: Date.now(),
  }); // prettier-ignore
}

function benchDecisions(): string[][] {
  const small = simulated(100, 100, 50);
  const big = simulated(1000, 25_000, 5_000);
  const smalls: number[] = [];
  const bigs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    decide(small);
    smalls.push(performance.now() - started);
  }
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    decide(big);
    bigs.push(performance.now() - started);
  }
  // Packing: a mixed trace onto empty pools, against the lower bound.
  const trace = simulated(0, 0, 2000, 7);
  const plan = decide(trace);
  const nodes = plan.requests.reduce((n, r) => n + r.count, 0);
  const memory = trace.tasks.reduce((n, t) => n + t.reservations['micado.mem_mb']!, 0);
  const cpu = trace.tasks.reduce((n, t) => n + t.reservations['micado.cpu_milli']!, 0);
  const bound = Math.max(Math.ceil(memory / SMALL.memoryMb), Math.ceil(cpu / 1000));
  return [
    ['decision, 100 nodes, 50 pending (median of 20)', `${median(smalls).toFixed(2)} ms`, 'budget 1000 ms'],
    ['simulation, 1000 nodes, 30,000 tasks (median of 3)', ms(median(bigs)), 'budget 5000 ms'],
    [`packing, 2000 mixed tasks: nodes asked / lower bound`, `${nodes}/${bound}`, `= ${(nodes / bound).toFixed(3)} (budget 1.1)`],
  ]; // prettier-ignore
}

/**
 * When the service's task was placed on a node, when its image was there (the task
 * past preparing: pulled), and when it ran (performance.now()).
 */
async function waitRunning(
  cluster: TestCluster,
  serviceId: string,
): Promise<{ placed: number; pulled: number; running: number }> {
  const manager = cluster.manager();
  const deadline = Date.now() + 120_000;
  let placed: number | undefined;
  let pulled: number | undefined;
  for (;;) {
    const tasks = await manager.listTasks({ service: [serviceId] });
    if (placed === undefined && tasks.some((t) => t.nodeId)) placed = performance.now();
    if (pulled === undefined && tasks.some((t) => t.state === 'starting'))
      pulled = performance.now();
    if (tasks.some((t) => t.state === 'running')) {
      const running = performance.now();
      return { placed: placed ?? running, pulled: pulled ?? running, running };
    }
    if (Date.now() > deadline) {
      throw new Error(
        `not running after 120 s: ${tasks.map((t) => `${t.state} ${t.error ?? ''}`).join('; ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function benchCycle(): Promise<string[][]> {
  const cluster = new TestCluster({
    pools: { default: { driver: 'local', flavour: 'small', min: 0, max: 10 } },
    // The bench gives its nodes back itself: the manager must not race it.
    // Its bare-Swarm side joins nodes by hand, which the manager would remove as rogue.
    autoscaler: { scaleDownUnneededMs: 3_600_000, removeRogueNodes: false, rotateJoinToken: false },
  });
  const bareHosts: LocalHostRecord[] = [];
  const rows: string[][] = [];
  try {
    const up = await cluster.micado('up');
    if (up.code !== 0) throw new Error(up.stderr);
    const manager = cluster.manager();
    const image = cluster.layout.baseImage;
    // Every node is new, so both sides pull the (small, local) base image once.
    const { worker: token } = await manager.joinTokens();
    const store = SqliteStore.open(join(cluster.config.stateDir, 'micado.db'));
    const micado: {
      total: number;
      request: number;
      ready: number;
      placed: number;
      pulled: number;
      running: number;
    }[] = [];
    const bare: { total: number; ready: number; placed: number; pulled: number; running: number }[] = []; // prettier-ignore
    for (let i = 0; i < 5; i++) {
      // micado: the service, then everything is the manager's.
      const name = `container-cycle${i}`;
      const t0 = performance.now();
      const wall0 = Date.now();
      const id = await manager.createService({
        name, image, command: ['sleep', '600'],
        labels: { [CONTAINER_LABEL.name]: name, [CONTAINER_LABEL.client]: 'cycle' },
        reservations: { 'micado.mem_mb': 400, 'micado.cpu_milli': 100 },
      }); // prettier-ignore
      const { placed, pulled, running } = await waitRunning(cluster, id);
      const intent = (await store.intents({ since: wall0 - 1000 })).at(-1)!;
      // Ready: when the ledger marked the node joined (the provisioner saw it Ready).
      micado.push({
        total: running - t0,
        request: intent.createdAt - wall0,
        ready: intent.updatedAt - wall0,
        placed: placed - t0,
        pulled: pulled - t0,
        running: running - t0,
      });
      await manager.removeService(id);
      const stop = await cluster.micado('stop', '-t', intent.instance);
      if (stop.code !== 0) throw new Error(stop.stderr);

      // bare Swarm: the same service pinned to a node made with the bare steps.
      const bareName = `bare${i}${randomBytes(2).toString('hex')}`;
      const b0 = performance.now();
      const bareId = await manager.createService({
        name: `bare-cycle${i}`, image, command: ['sleep', '600'],
        reservations: { 'micado.mem_mb': 400, 'micado.cpu_milli': 100 },
        constraints: [`engine.labels.bare==${bareName}`],
      }); // prettier-ignore
      await bareNode(cluster, i, { token }, bareHosts, bareName);
      const bareReady = performance.now();
      const bareRun = await waitRunning(cluster, bareId);
      bare.push({
        total: bareRun.running - b0,
        ready: bareReady - b0,
        placed: bareRun.placed - bareReady,
        pulled: bareRun.pulled - bareReady,
        running: bareRun.running - bareReady,
      });
      await manager.removeService(bareId);
      while (bareHosts.length > 0) await destroyLocalHost(bareHosts.pop()!, 5_000);
      for (const n of (await manager.listNodes({ role: ['worker'] })).filter(
        (x) => x.engineLabels.bare,
      )) {
        await manager.removeNode(n.id, true).catch(() => undefined);
      }
    }
    // The same cycle with nothing pulled while the node joins (autoscaler.seedImages 0).
    process.kill(
      JSON.parse(readFileSync(cluster.layout.stateFile, 'utf8')).autoscaler.pid,
      'SIGTERM',
    );
    await new Promise((r) => setTimeout(r, 1000));
    cluster.configure({ pools: { default: { driver: 'local', flavour: 'small', min: 0, max: 10 } }, autoscaler: { scaleDownUnneededMs: 3_600_000, seedImages: 0 } }); // prettier-ignore
    const again = await cluster.micado('up');
    if (again.code !== 0) throw new Error(again.stderr);
    const unseeded: { ready: number; placed: number; pulled: number; running: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const name = `container-plain${i}`;
      const t0 = performance.now();
      const wall0 = Date.now();
      const id = await manager.createService({
        name, image, command: ['sleep', '600'], labels: { [CONTAINER_LABEL.name]: name, [CONTAINER_LABEL.client]: 'cycle' },
        reservations: { 'micado.mem_mb': 400, 'micado.cpu_milli': 100 },
      }); // prettier-ignore
      const { placed, pulled, running } = await waitRunning(cluster, id);
      const intent = (await store.intents({ since: wall0 - 1000 })).at(-1)!;
      unseeded.push({ ready: intent.updatedAt - wall0, placed: placed - t0, pulled: pulled - t0, running: running - t0 }); // prettier-ignore
      await manager.removeService(id);
      const stop = await cluster.micado('stop', '-t', intent.instance);
      if (stop.code !== 0) throw new Error(stop.stderr);
    }
    await store.close();
    const readyToRunning = (runs: { ready: number; running: number }[]) => median(runs.map((m) => m.running - m.ready)); // prettier-ignore
    const placedToPulled = (runs: { placed: number; pulled: number }[]) => median(runs.map((m) => m.pulled - m.placed)); // prettier-ignore
    rows.push(
      ['new node, images pulled while it joins: Ready -> running (median)', ms(readyToRunning(micado)), `seeded/unseeded ${(readyToRunning(micado) / readyToRunning(unseeded)).toFixed(2)}`], // prettier-ignore
      ['  nothing pulled while it joins (seedImages 0)', ms(readyToRunning(unseeded)), ''],
      ['  placed -> pulled, seeded / unseeded (medians)', `${ms(placedToPulled(micado))} / ${ms(placedToPulled(unseeded))}`, ''], // prettier-ignore
    );
    const total = median(micado.map((m) => m.total));
    const bareTotal = median(bare.map((b) => b.total));
    rows.push(
      ['cycle: service pending -> node -> running, micado (median of 5)', ms(total), `budget 3000 ms; micado share = ${ms(total - bareTotal)} (budget 500 ms)`],
      ['same on bare Swarm (bare node made after the service)', ms(bareTotal), `micado/bare = ${(total / bareTotal).toFixed(2)}`],
      ['micado: pending seen -> driver request (median)', ms(median(micado.map((m) => m.request))), ''],
      ['micado: service -> node Ready, each run', micado.map((m) => ms(m.ready)).join(', '), ''],
      ['micado: Ready -> placed, each run', micado.map((m) => ms(m.placed - m.ready)).join(', '), ''],
      ['bare: Ready -> placed, each run', bare.map((b) => ms(b.placed)).join(', '), ''],
      ['micado: placed -> pulled (past preparing), each run', micado.map((m) => ms(m.pulled - m.placed)).join(', '), ''],
      ['bare: placed -> pulled (past preparing), each run', bare.map((b) => ms(b.pulled - b.placed)).join(', '), ''],
      ['micado: pulled -> running (start), each run', micado.map((m) => ms(m.running - m.pulled)).join(', '), ''],
      ['bare: pulled -> running (start), each run', bare.map((b) => ms(b.running - b.pulled)).join(', '), ''],
      ['micado: Ready -> running (pull + start), each run', micado.map((m) => ms(m.running - m.ready)).join(', '), ''],
      ['bare: Ready -> running (pull + start), each run', bare.map((b) => ms(b.running)).join(', '), ''],
    ); // prettier-ignore
  } finally {
    while (bareHosts.length > 0)
      await destroyLocalHost(bareHosts.pop()!, 5_000).catch(() => undefined);
    await cluster.destroy();
  }
  return rows;
}

export async function benchAutoscaler(): Promise<string[][]> {
  return [...benchDecisions(), ...(await benchCycle())];
}
