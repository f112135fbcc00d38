/**
 * Whole reconcile cycles on a fake swarm and a recording cloud, on a fixed clock:
 * scale-up, join and labels, the nudge, scale-down, a label that does not land,
 * starts that fail together, and a start resumed after a crash.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type MicadoConfig } from '../config/config.js';
import { NodeProvisioner } from '../nodes/node-provisioner.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { CPU, MEMORY, type SwarmNode, type SwarmService, type SwarmTask } from '../swarm/index.js';
import { FakeCloudDriver } from '../testing/fake-cloud-driver.js';
import { FakeSwarm } from '../testing/fake-swarm.js';
import { Autoscaler } from './autoscaler.js';
import { CONTAINER_LABEL } from '../swarm/labels.js';

const T0 = Date.UTC(2026, 10, 22, 12);
const PRICED = { small: { cpus: 1, memoryMb: 512, pricePerHour: 1 }, medium: { cpus: 2, memoryMb: 2048, pricePerHour: 3 } }; // prettier-ignore
const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function service(name: string, memoryMb = 300): SwarmService {
  return {
    id: `svc-${name}`, version: 1, name, image: 'base', replicas: 1,
    labels: { [CONTAINER_LABEL.name]: name }, reservations: { [CPU]: 100, [MEMORY]: memoryMb },
    constraints: [], ports: [], command: [], args: [], env: [], createdAt: '', updatedAt: '',
  }; // prettier-ignore
}

function pendingTask(svc: SwarmService, slot = 1): SwarmTask {
  return {
    id: `${svc.name}.${slot}`, serviceId: svc.id, nodeId: undefined, slot, desiredState: 'running',
    state: 'pending', message: 'pending', error: 'no suitable node (insufficient resources on 1 node)',
    containerId: undefined, reservations: svc.reservations, ports: [], updatedAt: '',
  }; // prettier-ignore
}

/** A manager over a fake swarm and cloud, sharing one store and one clock. */
function harness(store?: SqliteStore, swarm = new FakeSwarm(), cloud = new FakeCloudDriver(swarm)) {
  const dir = mkdtempSync(join(tmpdir(), 'micado-cycle-'));
  dirs.push(dir);
  if (!store) stores.push((store = SqliteStore.open(join(dir, 'micado.db'))));
  const config: MicadoConfig = structuredClone({
    ...DEFAULT_CONFIG,
    stateDir: dir,
    pools: { default: { driver: 'local', flavour: 'small', min: 0, max: 5 } },
  });
  Object.assign(config.autoscaler, {
    scaleDownUnneededMs: 60_000,
    scaleDownDelayAfterUpMs: 0,
    scaleDownCooldownMs: 0,
    drainTimeoutMs: 1_000,
  });
  const clock = { now: T0 };
  const now = () => clock.now;
  const drivers = cloud.asDrivers();
  const entry = {
    managerAddress: '10.0.0.2:2377',
    registry: '10.0.0.2:5000',
    catalog: 'http://10.0.0.1:8500',
    issueTls: async () => ({ ca: 'CA', cert: 'CERT', key: 'KEY' }),
  };
  const provisioner = new NodeProvisioner({ manager: swarm, entry, config, store, now, drivers });
  const log: string[] = [];
  const autoscaler = new Autoscaler({
    manager: swarm, config, store, provisioner, drivers, now, log: (line) => log.push(line),
  }); // prettier-ignore
  /** Move the clock on, run one cycle, and let the node starts and give-backs it began end. */
  const cycle = async (advanceMs = 0) => {
    clock.now += advanceMs;
    await autoscaler.cycle(clock.now);
    await autoscaler.settled();
  };
  /** The actions the manager took, in order (its log lines begin with them). */
  const actions = async () =>
    log.map((line) => line.split(' ')[0]!).filter((word) => !word.startsWith('nudged'));
  return { swarm, cloud, store, config, autoscaler, clock, cycle, actions, log };
}

describe('reconcile cycles', () => {
  it('starts one node for a task no node has room for, labels it, and nudges the scheduler', async () => {
    const { swarm, cloud, cycle, actions } = harness();
    const web = service('container-web');
    swarm.services = [web];
    swarm.tasks = [pendingTask(web)];
    await cycle();
    expect(cloud.calls).toHaveLength(1);
    const [node] = swarm.nodes;
    expect(node?.labels).toMatchObject({
      'micado.instance': cloud.calls[0]!.slice('start '.length),
      'micado.pool': 'default',
      'micado.autoscaled': 'true',
    });
    expect(await actions()).toEqual(['scale-up', 'node-joined']);
    // The task still waits though the node has room: the scheduler is nudged, and no
    // second node is asked for.
    await cycle(1_500);
    expect(cloud.calls).toHaveLength(1);
    expect(swarm.calls.at(-1)).toMatch(
      /^updateNode host-i-\w+ \{"labels":\{"micado.nudged":"\d+"\}\}$/,
    );
  });

  it('starts no second node for a task whose node joins while a cycle lists the swarm', async () => {
    const { swarm, cloud, autoscaler, clock } = harness();
    const web = service('container-web');
    swarm.services = [web];
    swarm.tasks = [pendingTask(web)];
    cloud.holdJoins = true;
    await autoscaler.cycle(clock.now);
    expect(cloud.calls).toHaveLength(1);
    cloud.holdJoins = false;
    // The next cycle lists the swarm; the node joins, and its start ends, just after.
    const list = swarm.listNodes.bind(swarm);
    let joined = false;
    swarm.listNodes = async (filters) => {
      const before = await list(filters);
      if (!joined) {
        joined = true;
        cloud.join({ id: cloud.calls[0]!.slice('start '.length), pool: 'default', flavour: 'small' }); // prettier-ignore
        await autoscaler.settled();
      }
      return before;
    };
    clock.now += 1_000;
    await autoscaler.cycle(clock.now);
    await autoscaler.settled();
    expect(cloud.calls).toHaveLength(1);
  });

  it("starts the priced pool's cheapest flavours for what waits, through the driver", async () => {
    const priced = { small: { cpus: 1, memoryMb: 512, pricePerHour: 1 }, medium: { cpus: 2, memoryMb: 2048, pricePerHour: 3 } }; // prettier-ignore
    const fake = new FakeSwarm();
    const { swarm, cloud, cycle, actions, config, log } = harness(undefined, fake, new FakeCloudDriver(fake, priced)); // prettier-ignore
    config.flavours = priced;
    config.pools.default!.flavours = ['small', 'medium'];
    const webs = [1, 2, 3, 4].map((i) => service(`container-w${i}`));
    swarm.services = webs;
    swarm.tasks = webs.map((w) => pendingTask(w));
    await cycle();
    // Four 300 MB tasks: one medium (3/h) holds them, four small would cost 4/h.
    expect(
      [...cloud.instances.values()].map((i) => i.flavour),
      log.join('\n'),
    ).toEqual(['medium']);
    expect(await actions()).toContain('scale-up');
  });

  /**
   * A medium holding a 1,500 MB task, which then shrinks to 300 MB (the task made again
   * smaller, running where it was): a small (1/h) would hold it for a third of the price.
   * Given a store, swarm and cloud, a second manager over them (a restart).
   */
  async function shrunkOnMedium(restart?: {
    store: SqliteStore;
    swarm: FakeSwarm;
    cloud: FakeCloudDriver;
  }) {
    const fake = restart?.swarm ?? new FakeSwarm();
    const cloud = restart?.cloud ?? new FakeCloudDriver(fake, PRICED);
    const h = harness(restart?.store, fake, cloud);
    h.config.flavours = PRICED;
    h.config.pools.default!.flavours = ['small', 'medium'];
    Object.assign(h.config.autoscaler, { consolidation: 'replace', consolidateAfterMs: 0, consolidationMinScore: 0.5 }); // prettier-ignore
    if (restart) return h;
    const web = service('container-web', 1500);
    h.swarm.services = [web];
    h.swarm.tasks = [pendingTask(web)];
    await h.cycle();
    const [medium] = h.swarm.nodes;
    web.reservations = { [CPU]: 100, [MEMORY]: 300 };
    h.swarm.tasks = [{ ...pendingTask(web), state: 'running', nodeId: medium!.id, reservations: web.reservations }]; // prettier-ignore
    return h;
  }
  const instanceOf = (n: SwarmNode) => n.labels['micado.instance'];

  it('replaces a node by a cheaper one: the new one Ready first, then the old one given back', async () => {
    const { swarm, cloud, cycle, store, log } = await shrunkOnMedium();
    const medium = instanceOf(swarm.nodes[0]!)!;
    await cycle(1_000);
    const small = [...cloud.instances.values()].find((i) => i.flavour === 'small')!.id;
    expect(cloud.calls).toEqual([`start ${medium}`, `start ${small}`, `stop ${medium}`]);
    expect(swarm.nodes.map(instanceOf)).toEqual([small]);
    expect(log.filter((l) => l.startsWith('consolidate'))).toEqual([
      expect.stringMatching(/^consolidate default: replacing host-i-\w+ of pool default by one small: 1 node \(medium host-i-\w+\) at 3\.00\/h hold 1 task that fit on one small at 1\.00\/h; saves 2\.00\/h, moving 1 task \(score 0\.67\)$/),
      expect.stringMatching(/^consolidate default: host-i-\w+ is Ready: giving back host-i-\w+ in turn$/),
    ]); // prettier-ignore
    expect(await store.openIntents()).toEqual([]);
    expect((await store.intents()).at(-1)).toMatchObject({ instance: small, state: 'joined', replaces: [medium] }); // prettier-ignore
    // The task moved stays where it is (minTaskStayHours), and the small is the cheapest.
    const web = swarm.services[0]!;
    swarm.tasks = [{ ...pendingTask(web), state: 'running', nodeId: swarm.nodes[0]!.id, reservations: web.reservations }]; // prettier-ignore
    await cycle(30_000);
    expect(cloud.calls, log.join('\n')).toHaveLength(3);
  });

  it('scales down and consolidates again once a replace is handed over', async () => {
    const { swarm, cloud, cycle, log } = await shrunkOnMedium();
    await cycle(1_000);
    const [small] = swarm.nodes;
    // The container is quit: its small is idle, and given back as any idle node is.
    swarm.services = [];
    swarm.tasks = [];
    await cycle(1_000);
    await cycle(61_000);
    await cycle(1_000);
    expect(cloud.calls.at(-1), log.join('\n')).toBe(`stop ${instanceOf(small!)}`);
  });

  it('tries a hand-over that failed again at the next cycle, and disrupts nothing else meanwhile', async () => {
    const { swarm, cloud, cycle, store, log } = await shrunkOnMedium();
    const medium = instanceOf(swarm.nodes[0]!)!;
    swarm.refuseNodeUpdate = (change) => change.labels?.['micado.consolidating'] === 'true';
    await cycle(1_000);
    await cycle(61_000);
    expect(log.filter((l) => l.startsWith('failure'))).toEqual([
      expect.stringMatching(new RegExp(`^failure i-\\w+: handing over ${medium} to i-\\w+ failed: .*update out of sequence; trying again at each cycle$`)),
    ]); // prettier-ignore
    // The new small, still empty, is not given back; the medium still runs the task.
    expect(cloud.calls.filter((c) => c.startsWith('stop'))).toEqual([]);
    expect(await store.openIntents()).toMatchObject([{ state: 'replacing', replaces: [medium] }]);
    swarm.refuseNodeUpdate = undefined;
    await cycle(1_000);
    expect(cloud.calls.filter((c) => c.startsWith('stop'))).toEqual([`stop ${medium}`]);
    expect(await store.openIntents()).toEqual([]);
  });

  it('remembers the tasks it moved across a restart: none moves again within minTaskStayHours', async () => {
    const first = await shrunkOnMedium();
    await first.cycle(1_000);
    const web = first.swarm.services[0]!;
    const [small] = first.swarm.nodes;
    first.swarm.tasks = [{ ...pendingTask(web), state: 'running', nodeId: small!.id, reservations: web.reservations }]; // prettier-ignore
    await first.autoscaler.stop();
    // A second small whose task stays (do-not-disrupt), with room for web: the only
    // move left is web's, onto it, giving web's small back.
    const db = service('container-db', 100);
    await first.cloud.start({ id: 'i-db', pool: 'default', flavour: 'small' });
    const kept = first.swarm.nodes.find((n) => instanceOf(n) === 'i-db' || n.engineLabels['micado.instance'] === 'i-db')!; // prettier-ignore
    kept.labels['micado.do-not-disrupt'] = 'true';
    first.swarm.services.push(db);
    first.swarm.tasks.push({ ...pendingTask(db), state: 'running', nodeId: kept.id, reservations: db.reservations }); // prettier-ignore
    const second = await shrunkOnMedium(first);
    second.config.autoscaler.scaleDownUnneededMs = 48 * 3_600_000;
    await second.autoscaler.resume();
    const stops = () => first.cloud.calls.filter((c) => c.startsWith('stop'));
    const before = stops();
    await second.cycle(60_000);
    expect(stops(), second.log.join('\n')).toEqual(before);
    // A day on, web may move again.
    await second.cycle(24 * 3_600_000);
    expect(stops()).toEqual([...before, `stop ${instanceOf(small!) ?? small!.engineLabels['micado.instance']}`]); // prettier-ignore
  });

  it.each([
    ['with the intent recorded, its node not joined', 'intent'],
    ['with the new node joined, before the old one is paused', 'joined'],
    ['with the old one paused for its turn, before its drain', 'paused'],
  ])(
    'finishes a replace whose manager was killed %s: no node lost, none twice',
    async (_, step) => {
      const first = await shrunkOnMedium();
      const medium = instanceOf(first.swarm.nodes[0]!)!;
      // The manager dies where the step ends: its next write never happens.
      if (step === 'intent') first.cloud.holdJoins = true;
      if (step === 'joined') first.swarm.refuseNodeUpdate = (c) => c.labels?.['micado.consolidating'] === 'true'; // prettier-ignore
      if (step === 'paused') first.swarm.refuseNodeUpdate = (c) => c.labels?.['micado.scaling-down'] === 'true'; // prettier-ignore
      // (A held join is waited for until the provisioning timeout: the cycle alone.)
      if (step === 'intent') await first.autoscaler.cycle(first.clock.now + 1_000);
      else await first.cycle(1_000);
      await first.autoscaler.stop();
      expect(first.swarm.nodes.map(instanceOf)).toContain(medium);
      const [open] = await first.store.openIntents();
      if (step !== 'paused') expect(open).toMatchObject({ replaces: [medium] });
      else
        expect(first.swarm.nodes.find((n) => instanceOf(n) === medium)?.availability).toBe('pause');

      first.cloud.holdJoins = false;
      first.swarm.refuseNodeUpdate = undefined;
      const second = await shrunkOnMedium(first);
      await second.autoscaler.resume();
      await second.autoscaler.settled();
      const smalls = [...first.cloud.instances.values()].filter((i) => i.flavour === 'small');
      expect(smalls).toHaveLength(1);
      expect(first.swarm.nodes.map(instanceOf)).toEqual([smalls[0]!.id]);
      expect([...first.cloud.instances.keys()]).toEqual([smalls[0]!.id]);
      expect(await first.store.openIntents()).toEqual([]);
    },
  );

  it('waits for a node that goes down (a reboot) for the unready grace, then starts a new one', async () => {
    const { swarm, cloud, cycle, actions, config } = harness();
    const web = service('container-web');
    swarm.services = [web];
    swarm.tasks = [pendingTask(web)];
    await cycle();
    const starts = () => cloud.calls.filter((c) => c.startsWith('start'));
    expect(starts()).toHaveLength(1);
    // The node goes down; Swarm makes its task pending again.
    const node = swarm.nodes[0]!;
    node.state = 'down';
    swarm.tasks = [pendingTask(web, 2)];
    await cycle(1_000);
    await cycle(config.autoscaler.unreadyGraceMs / 2);
    expect(starts()).toHaveLength(1);
    // It comes back as the same node: said, and still one start.
    node.state = 'ready';
    await cycle(1_000);
    expect((await actions()).filter((a) => a.startsWith('node-'))).toEqual(['node-joined', 'node-down', 'node-back']); // prettier-ignore
    // Down again, and past the grace: the task gets a new node.
    node.state = 'down';
    await cycle(1_000);
    expect(starts()).toHaveLength(1);
    await cycle(config.autoscaler.unreadyGraceMs);
    expect(starts()).toHaveLength(2);
  });

  it('makes again a task the scheduler lost: one replica fewer (the waiting task goes), then as many as before', async () => {
    const { swarm, cloud, cycle, actions } = harness();
    const web = service('container-web');
    swarm.services = [web];
    swarm.tasks = [pendingTask(web)];
    await cycle();
    expect(cloud.calls.filter((c) => c.startsWith('start'))).toHaveLength(1);
    // The node has joined with room; the task still waits, nudged or not.
    swarm.tasks = [{ ...pendingTask(web), error: undefined, message: 'pending task scheduling' }];
    await cycle(2_000);
    await cycle(4_000);
    // Not before the node has been Ready a while: the scheduler may just be slow.
    expect(swarm.calls.filter((c) => c.startsWith('updateService'))).toEqual([]);
    await cycle(2_000);
    expect(swarm.calls.filter((c) => c.startsWith('updateService'))).toEqual([
      'updateService svc-container-web {"replicas":0}',
      'updateService svc-container-web {"replicas":1}',
    ]);
    expect(swarm.tasks[0]!.desiredState).toBe('shutdown');
    expect(await actions()).toContain('task-remade');
    // A task no Ready node has room for waits for a node, and is never taken for lost.
    swarm.calls.length = 0;
    const big = service('container-big', 600);
    swarm.services = [web, big];
    swarm.tasks = [pendingTask(big)];
    await cycle(60_000);
    await cycle(6_000);
    expect(swarm.calls.filter((c) => c.startsWith('updateService'))).toEqual([]);
  });

  it('keeps a warm node paused for the next task, wakes it with one update, and refills', async () => {
    const { swarm, cloud, cycle, actions, config } = harness();
    config.pools.default!.warm = 1;
    const starts = () => cloud.calls.filter((c) => c.startsWith('start'));
    await cycle();
    expect(starts()).toHaveLength(1);
    const warm = swarm.nodes[0]!;
    expect(warm.availability).toBe('pause');
    expect(warm.labels).toMatchObject({ 'micado.warm': 'true', 'micado.pool': 'default' });
    // While it waits, nothing more is asked for, and it is not given back for being idle.
    await cycle(120_000);
    await cycle(120_000);
    expect([starts().length, swarm.nodes.length]).toEqual([1, 1]);
    // A task that fits it: one node update makes it active, and a new node refills.
    const web = service('container-web');
    swarm.services = [web];
    swarm.tasks = [pendingTask(web)];
    await cycle(1_000);
    expect(swarm.calls).toContain(
      `updateNode ${warm.hostname} {"availability":"active","labels":{"micado.warm":"false"}}`,
    );
    expect(starts()).toHaveLength(2);
    expect(swarm.nodes.map((n) => n.availability)).toEqual(['active', 'pause']);
    expect(await actions()).toEqual([
      'scale-up',
      'node-joined',
      'warm-woken',
      'scale-up',
      'node-joined',
    ]);
    // With warm lowered to 0, the warm node goes back at the next cycle; the busy one stays.
    swarm.tasks = [{ ...pendingTask(web), nodeId: warm.id, state: 'running' }];
    config.pools.default!.warm = 0;
    await cycle(1_000);
    expect(swarm.nodes.map((n) => n.hostname)).toEqual([warm.hostname]);
  });

  it('gives back an idle node it started: marked, drained, stopped, removed', async () => {
    const { swarm, cloud, cycle, actions } = harness();
    const web = service('container-web');
    swarm.services = [web];
    swarm.tasks = [pendingTask(web)];
    await cycle();
    const [node] = swarm.nodes;
    swarm.tasks = [];
    await cycle(1_000);
    expect(swarm.nodes).toHaveLength(1);
    await cycle(60_000);
    expect(swarm.calls.slice(-3)).toEqual([
      `updateNode ${node!.hostname} {"labels":{"micado.scaling-down":"true"}}`,
      `updateNode ${node!.hostname} {"availability":"drain"}`,
      `removeNode ${node!.hostname}`,
    ]);
    expect(cloud.calls.at(-1)).toBe(`stop ${node!.engineLabels['micado.instance']}`);
    expect(await actions()).toEqual(['scale-up', 'node-joined', 'scale-down', 'node-removed']);
  });

  it('keeps a Ready node whose labels do not land, and labels it at the next cycle', async () => {
    const { swarm, cloud, cycle, actions } = harness();
    const web = service('container-web');
    swarm.services = [web];
    swarm.tasks = [pendingTask(web)];
    swarm.failNodeUpdates = 1;
    await cycle();
    expect(swarm.nodes[0]?.labels['micado.pool']).toBeUndefined();
    await cycle(1_000);
    expect(swarm.nodes[0]?.labels['micado.pool']).toBe('default');
    expect(cloud.calls.filter((c) => c.startsWith('stop'))).toEqual([]);
    expect(await actions()).toEqual(['scale-up', 'node-joined', 'relabel', 'relabel']);
  });

  it('backs a pool off once for starts that fail together, and asks no more meanwhile', async () => {
    const { swarm, cloud, cycle, store } = harness();
    swarm.services = ['a', 'b', 'c'].map((n) => service(`container-${n}`));
    swarm.tasks = swarm.services.map((s) => pendingTask(s));
    cloud.failStarts = 3;
    const starts = () => cloud.calls.filter((c) => c.startsWith('start'));
    await cycle();
    expect(starts()).toHaveLength(3);
    const failures = (await store.events({ limit: 100 }))
      .filter((e) => e.action === 'failure')
      .map((e) => e.message.replace(/^.*; /, ''));
    expect(failures.sort()).toEqual([
      'pool already backed off for 30 s by a start that failed with it',
      'pool already backed off for 30 s by a start that failed with it',
      'pool backed off for 30 s',
    ]);
    await cycle(10_000);
    expect(starts()).toHaveLength(3);
    // Once the backoff is over, the pool is asked again.
    await cycle(25_000);
    expect(starts()).toHaveLength(6);
  });

  it('resumes a start a killed manager left, under the same instance id: no second machine', async () => {
    const first = harness();
    const web = service('container-web');
    first.swarm.services = [web];
    first.swarm.tasks = [pendingTask(web)];
    // The machine is made, and the manager dies before its node joins.
    first.cloud.holdJoins = true;
    await first.autoscaler.cycle(first.clock.now);
    const [intent] = await first.store.openIntents();
    expect(intent?.state).toBe('requested');
    await first.autoscaler.stop();

    first.cloud.holdJoins = false;
    const second = harness(first.store, first.swarm, first.cloud);
    await second.autoscaler.resume();
    await second.autoscaler.settled();
    expect(first.cloud.calls).toEqual([`start ${intent!.instance}`, `start ${intent!.instance}`]);
    expect(first.cloud.instances.size).toBe(1);
    expect(first.swarm.nodes.map((n) => n.labels['micado.instance'])).toEqual([intent!.instance]);
    expect(await first.store.openIntents()).toEqual([]);
  });

  it('removes a container whose time limit ran out, and only then', async () => {
    const { swarm, cycle, store } = harness();
    const later = service('container-later');
    const due = service('container-due');
    due.labels[CONTAINER_LABEL.expires] = new Date(T0 + 60_000).toISOString();
    later.labels[CONTAINER_LABEL.expires] = new Date(T0 + 3_600_000).toISOString();
    swarm.services = [later, due, service('container-forever')];
    await cycle();
    expect(swarm.services.map((s) => s.name)).toEqual(['container-later', 'container-due', 'container-forever']); // prettier-ignore
    await cycle(60_000);
    expect(swarm.services.map((s) => s.name)).toEqual(['container-later', 'container-forever']);
    const [event] = (await store.events()).filter((e) => e.action === 'expired');
    expect(event).toMatchObject({ subject: 'container-due', message: expect.stringContaining('time limit ran out') }); // prettier-ignore
  });

  it("holds a container's replicas at its client's limit, and says so once", async () => {
    const { swarm, cycle, store, log } = harness();
    const web = service('container-web');
    web.labels[CONTAINER_LABEL.client] = 'acme';
    web.labels['micado.policy'] = JSON.stringify({ minReplicas: 1, maxReplicas: 5, cpuHighPercent: 50, cpuLowPercent: 10, memoryHighPercent: 90, memoryLowPercent: 10 }); // prettier-ignore
    swarm.services = [web];
    await store.putClient({ name: 'acme', domain: undefined, membership: undefined, limits: { replicas: 1 }, createdAt: T0, updatedAt: T0 }); // prettier-ignore
    await store.writeRefresh({
      at: T0, instances: [], samples: [], staleInstances: [],
      containers: [{ id: 'c1', name: 'container-web.1.x', service: 'container-web', image: 'base', node: 'i-1', address: undefined, cpuMilli: 95, memoryMb: 10, reserved: { cpuMilli: 100, memoryMb: 300 }, state: 'running', cpuTotalNs: 0, lastSeen: T0 }],
    }); // prettier-ignore
    await cycle();
    await cycle(1_000);
    expect(swarm.services[0]!.replicas).toBe(1);
    expect(log.filter((l) => l.includes('held at 1 replicas'))).toEqual([
      'replicas-held container-web: held at 1 replicas: client acme may have 1 replicas: it has 1, and this asks 1 more',
    ]);
  });
});
