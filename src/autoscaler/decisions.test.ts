/** The autoscaler's decisions: pure functions of (cluster view, settings, now). */
import { describe, expect, it } from 'vitest';
import type { NodePool } from '../config/config.js';
import { buildClusterView, type ClusterView, type NodeView } from './cluster-view.js';
import { satisfies } from './constraints.js';
import {
  afterFailure,
  afterSuccess,
  FRESH_POOL,
  isBackedOff,
  type PoolState,
} from './pool-state.js';
import { planReplicas, policyFromLabels } from './replicas.js';
import { nudgeTargets } from './nudge.js';
import { planScaleDown } from './scale-down.js';
import { planScaleUp, poolTraits } from './scale-up.js';
import { PoolImages } from './warm-images.js';
import { toService, toTask } from '../swarm/engine-mapping.js';
import { clusterView, nodeView, pendingTask } from '../testing/cluster-views.js';

const NOW = 1_000_000_000;
const FLAVOURS = { small: { cpus: 1, memoryMb: 512 }, large: { cpus: 4, memoryMb: 8192 } };
const LIMITS = { maxNodes: 100, maxCpuMilli: 1e9, maxMemoryMb: 1e9 };
const pool = (change: Partial<NodePool> = {}): NodePool => ({
  driver: 'local',
  flavour: 'small',
  min: 0,
  max: 10,
  ...change,
});

const pending = pendingTask;
const view = clusterView;
/** A node as these tests wrote it: what it reserves given apart from its tasks. */
const node = (id: string, change: Partial<NodeView> = {}) =>
  nodeView(id, { reserved: { cpuMilli: 0, memoryMb: 0 }, ...change });

function up(
  v: ClusterView,
  pools: Record<string, NodePool> = { default: pool() },
  poolStates = new Map<string, PoolState>(),
  limits = LIMITS,
  returning: ReadonlySet<string> = new Set(),
) {
  return planScaleUp({
    view: v,
    pools,
    flavours: FLAVOURS,
    limits,
    poolStates,
    scaleUpCooldownMs: 0,
    now: NOW,
    returning,
  });
}

describe('scale-up', () => {
  it('asks for exactly one node per 300 MB task on 512 MB nodes', () => {
    const plan = up(view({ pending: [pending('a', 300), pending('b', 300), pending('c', 300)] }));
    expect(plan.requests).toEqual([
      { pool: 'default', count: 3, for: ['container-a', 'container-b', 'container-c'] },
    ]);
  });

  it.each([
    ['packs small tasks together', [200, 200, 100, 300, 200], 2],
    ['counts room on Ready nodes first', [], 0],
    ['needs nothing for tasks that fit existing room', [100, 100], 0],
  ])('%s', (_, sizes, expected) => {
    const nodes = _ === 'needs nothing for tasks that fit existing room' ? [node('n1')] : [];
    const plan = up(
      view({ nodes, pending: (sizes as number[]).map((m, i) => pending(`t${i}`, m)) }),
    );
    expect(plan.requests.reduce((n, r) => n + r.count, 0)).toBe(expected);
  });

  it('counts nodes asked for and not joined yet', () => {
    const plan = up(
      view({
        pending: [pending('a', 300), pending('b', 300)],
        incoming: [{ pool: 'default', instance: 'i-1' }],
      }),
    );
    expect(plan.requests).toEqual([{ pool: 'default', count: 1, for: ['container-b'] }]);
  });

  it('respects a pool max, then uses the next pool', () => {
    const pools = { default: pool({ max: 1 }), big: pool({ flavour: 'large' }) };
    const plan = up(
      view({
        nodes: [node('n1', { reserved: { cpuMilli: 0, memoryMb: 500 } })],
        pending: [pending('a', 300)],
      }),
      pools,
    );
    expect(plan.requests).toEqual([{ pool: 'big', count: 1, for: ['container-a'] }]);
  });

  it('skips a backed-off pool and says why a task waits when none is left', () => {
    const states = new Map([
      [
        'default',
        afterFailure(FRESH_POOL, NOW - 1000, NOW - 5000, {
          backoffInitialMs: 30_000,
          backoffMaxMs: 60_000,
        }),
      ],
    ]);
    const plan = up(view({ pending: [pending('a', 300)] }), { default: pool() }, states);
    expect(plan.requests).toEqual([]);
    expect(plan.waiting.map((w) => w.why)).toEqual([
      'pool default is backed off after failed starts',
    ]);
    const other = up(
      view({ pending: [pending('a', 300)] }),
      { default: pool(), spare: pool() },
      states,
    );
    expect(other.requests).toEqual([{ pool: 'spare', count: 1, for: ['container-a'] }]);
  });

  it('reports a task no pool could ever hold, apart from the rest', () => {
    const plan = up(view({
      pending: [pending('huge', 4096), pending('pinned', 100, { constraints: ['node.labels.micado.pool==database'] }), pending('ok', 100)],
    })); // prettier-ignore
    expect(plan.requests).toEqual([{ pool: 'default', count: 1, for: ['container-ok'] }]);
    expect(plan.unplaceable.map((u) => [u.task.id, u.why])).toEqual([
      ['huge', 'it reserves 100m CPU, 4096 MB, more than a node of default has'],
      ['pinned', "no pool's nodes satisfy its constraints (node.labels.micado.pool==database)"],
    ]);
  });

  it('lets tasks wait for nodes started by hand when no pool is configured', () => {
    const plan = up(view({ pending: [pending('a', 300)] }), {});
    expect(plan).toEqual({
      requests: [],
      activate: [],
      unplaceable: [],
      waiting: [{ task: pending('a', 300), why: 'no node pool is configured' }],
    });
  });

  it('places a task constrained to a pool on that pool only; others share its room', () => {
    const pools = {
      default: pool(),
      database: pool({ flavour: 'large', labels: { disk: 'ssd' } }),
    };
    const pinned = pending('db', 100, { constraints: ['node.labels.disk==ssd'] });
    expect(up(view({ pending: [pinned] }), pools).requests).toEqual([
      { pool: 'database', count: 1, for: ['container-db'] },
    ]);
    expect(up(view({ pending: [pinned, pending('web', 100)] }), pools).requests).toEqual([
      { pool: 'database', count: 1, for: ['container-db', 'container-web'] },
    ]);
    expect(up(view({ pending: [pending('web', 100)] }), pools).requests).toEqual([
      { pool: 'default', count: 1, for: ['container-web'] },
    ]);
  });

  it('brings each pool up to its min, and tasks use those nodes', () => {
    const plan = up(view({ pending: [pending('a', 100)] }), { default: pool({ min: 2 }) });
    expect(plan.requests).toEqual([{ pool: 'default', count: 2, for: ['min 2', 'container-a'] }]);
  });

  it('stops at the cluster-wide node limit', () => {
    const plan = up(
      view({
        pending: [pending('a', 300), pending('b', 300)],
        nodes: [node('n1', { reserved: { cpuMilli: 0, memoryMb: 512 } })],
      }),
      { default: pool() },
      new Map(),
      { ...LIMITS, maxNodes: 2 },
    );
    expect(plan.requests).toEqual([{ pool: 'default', count: 1, for: ['container-a'] }]);
    expect(plan.waiting[0]?.why).toBe('the cluster is at its limit of 2 nodes');
  });

  it('does not place on a node that is drained, not Ready, or being given back', () => {
    const nodes = [
      node('d', { active: false }),
      node('r', { ready: false }),
      node('s', { scalingDown: true }),
    ];
    expect(up(view({ nodes, pending: [pending('a', 100)] })).requests).toEqual([
      { pool: 'default', count: 1, for: ['container-a'] },
    ]);
  });

  it('waits for a node coming back from a reboot, with its room, and only for that', () => {
    // Two nodes down: r1 within the unready grace (returning), r2 past it.
    const nodes = [node('r1', { ready: false }), node('r2', { ready: false })];
    const tasks = [pending('a', 300), pending('b', 300)];
    const plan = up(
      view({ nodes, pending: tasks }),
      undefined,
      undefined,
      undefined,
      new Set(['r1']),
    );
    // a waits for r1; b does not fit beside it and gets a new node; r2 counts for nothing.
    expect(plan.requests).toEqual([{ pool: 'default', count: 1, for: ['container-b'] }]);
    // A drained or departing node that goes down is not waited for.
    const leaving = [node('r1', { ready: false, scalingDown: true })];
    expect(up(view({ nodes: leaving, pending: [pending('a', 100)] }), undefined, undefined, undefined, new Set(['r1'])).requests).toHaveLength(1); // prettier-ignore
  });
});

describe('a pool of several flavours', () => {
  const PRICED = {
    small: { cpus: 1, memoryMb: 512, pricePerHour: 1 },
    medium: { cpus: 2, memoryMb: 2048, pricePerHour: 3 },
    large: { cpus: 4, memoryMb: 8192, pricePerHour: 10 },
  };
  const mixed = pool({ flavours: ['small', 'medium', 'large'], max: 20 });
  const plan = (v: ClusterView, p = mixed) =>
    planScaleUp({ view: v, pools: { default: p }, flavours: PRICED, limits: LIMITS, poolStates: new Map(), scaleUpCooldownMs: 0, now: NOW }); // prettier-ignore
  const waiting = (n: number, mb = 300) => Array.from({ length: n }, (_, i) => pending(`t${i}`, mb, { service: 'container-web' })); // prettier-ignore
  const asked = (p: ReturnType<typeof plan>) => p.requests.map((r) => `${r.count} ${r.flavour ?? 'own'}`).sort(); // prettier-ignore

  it.each([
    ['ten 300 MB tasks: two medium (6/h), not ten small or one large (10/h)', 10, ['2 medium']],
    ['seven: a medium and a small (4/h)', 7, ['1 medium', '1 small']],
    ['one: a small', 1, ['1 small']],
  ])('starts the cheapest set that holds what waits: %s', (_, count, expected) => {
    const made = plan(view({ pending: waiting(count) }));
    expect(asked(made)).toEqual(expected);
    expect(made.requests[0]!.why).toMatch(/the cheapest that holds \d+ tasks?/);
  });

  it('holds a task only its largest flavour can', () => {
    expect(asked(plan(view({ pending: waiting(1, 4000) })))).toEqual(['1 large']);
  });

  it("counts a node on its way at its own flavour's size", () => {
    // A medium on its way holds six of the seven: one small more.
    const incoming = [{ pool: 'default', instance: 'i-1', flavour: 'medium' }];
    expect(asked(plan(view({ pending: waiting(7), incoming })))).toEqual(['1 small']);
  });

  it('keeps its min at its own flavour, and a one-flavour pool as it was', () => {
    expect(asked(plan(view({}), { ...mixed, min: 1 }))).toEqual(['1 own']);
    expect(up(view({ pending: waiting(3) })).requests).toEqual([
      { pool: 'default', count: 3, for: ['container-web'] },
    ]);
  });
});

describe('host ports', () => {
  const on8080 = (id: string) =>
    pending(id, 50, { service: 'container-web', hostPorts: ['8080/tcp'] });
  const holding = (id: string, ports: string[]) =>
    node(id, {
      reserved: { cpuMilli: 100, memoryMb: 50 },
      tasks: [{ ...on8080(`t${id}`), hostPorts: ports }],
    });

  it.each([
    ['a task pending on its host port asks for a node, though room is left', [holding('n1', ['8080/tcp'])], [on8080('a')], 1],
    ['two replicas on the same host port ask for two nodes', [], [on8080('a'), on8080('b')], 2],
    ['a node whose tasks publish another port takes it', [holding('n1', ['9090/tcp'])], [on8080('a')], 0],
    ['the same port over udp is no clash', [holding('n1', ['8080/udp'])], [on8080('a')], 0],
    ['a task with no host port shares the node', [holding('n1', ['8080/tcp'])], [pending('a', 50)], 0],
    ['of two nodes, the one with the port free takes it', [holding('n1', ['8080/tcp']), node('n2')], [on8080('a')], 0],
  ])('%s', (_, nodes, tasks, expected) => {
    const plan = up(view({ nodes, pending: tasks }));
    expect(plan.requests.reduce((n, r) => n + r.count, 0)).toBe(expected);
    expect(plan.unplaceable).toEqual([]);
  }); // prettier-ignore

  it('counts a node on its way as free of ports, and fills it once per port', () => {
    const plan = up(view({ nodes: [holding('n1', ['8080/tcp'])], pending: [on8080('a'), on8080('b')], incoming: [{ pool: 'default', instance: 'i-1' }] })); // prettier-ignore
    expect(plan.requests).toEqual([{ pool: 'default', count: 1, for: ['container-web'] }]);
  });

  it('keeps a node whose task would have nowhere to publish its port', () => {
    const long = NOW - 600_000;
    const settings = { scaleDownUtilization: 0.5, scaleDownUnneededMs: 600_000, scaleDownDelayAfterUpMs: 600_000, scaleDownCooldownMs: 60_000 }; // prettier-ignore
    const down = (nodes: NodeView[]) =>
      planScaleDown({ view: view({ nodes }), pools: { default: pool() }, settings, poolStates: new Map(), unneededSince: new Map([['a', long]]), lastScaleUp: -Infinity, now: NOW }).remove.map((n) => n.id); // prettier-ignore
    expect(down([holding('a', ['8080/tcp']), holding('b', ['8080/tcp'])])).toEqual([]);
    expect(down([holding('a', ['8080/tcp']), holding('b', ['9090/tcp'])])).toEqual(['a']);
  });

  it.each([
    ['a task waiting long enough that a Ready node fits', [node('n1')], 'a', NOW - 1000, ['n1']],
    ['a task that has only just come', [node('n1')], 'a', NOW - 10, []],
    ['a task whose host port every Ready node has taken', [holding('n1', ['8080/tcp'])], 'a', NOW - 5000, []],
    ['a task no Ready node has room for', [node('n1', { reserved: { cpuMilli: 0, memoryMb: 500 } })], 'a', NOW - 5000, []],
  ])('nudges the scheduler for %s', (_, nodes, id, since, targets) => {
    const v = view({ nodes, pending: [on8080(id)] });
    expect(nudgeTargets(v, new Map([[id, since]]), NOW).map((n) => n.id)).toEqual(targets);
  }); // prettier-ignore

  it('reads the host ports a service publishes on a fixed port, not those the engine chooses', () => {
    const service = { id: 's', version: 1, name: 'container-web', image: 'x', replicas: 2, labels: {}, reservations: {}, constraints: [], command: [], args: [], env: [], createdAt: '', updatedAt: '',
      ports: [{ target: 80, published: 8080, mode: 'host' as const }, { target: 81, published: 0, mode: 'host' as const }, { target: 82, published: 9000, mode: 'ingress' as const }] }; // prettier-ignore
    const task = { id: 't', serviceId: 's', nodeId: undefined, slot: 1, desiredState: 'running', state: 'pending', message: '', error: 'no suitable node (host-mode port already in use on 1 node)', containerId: undefined, reservations: {}, ports: [], updatedAt: '' }; // prettier-ignore
    expect(buildClusterView([], [task], [service], []).pending[0]?.hostPorts).toEqual(['8080/tcp']);
  });
});

describe('the cluster view', () => {
  it('counts a joined node as on its way until its labels land, so no second node is asked for', () => {
    const joined = { id: 'n', version: 1, hostname: 'h', role: 'worker' as const, state: 'ready', availability: 'active' as const, address: '', engineLabels: { 'micado.instance': 'i-x', 'micado.pool': 'vm' }, labels: {}, capacity: {} }; // prettier-ignore
    const incoming = [{ pool: 'vm', instance: 'i-x' }];
    expect(buildClusterView([joined], [], [], incoming).incoming).toEqual(incoming);
    const labelled = { ...joined, labels: { 'micado.instance': 'i-x', 'micado.pool': 'vm' } };
    expect(buildClusterView([labelled], [], [], incoming).incoming).toEqual([]);
  });

  it("starts nodes for a stack's tasks that reserve natively, as for micado's own", () => {
    // Two replicas of `docker stack deploy`'s service reserving 300 MB each (compose's
    // reservations.memory), pending: the engine's JSON as it comes.
    const spec = {
      Resources: { Reservations: { NanoCPUs: 250_000_000, MemoryBytes: 300 * 2 ** 20 } },
    };
    const service = toService({ ID: 's', Spec: { Name: 'shop_web', Labels: { 'com.docker.stack.namespace': 'shop' }, TaskTemplate: spec, Mode: { Replicated: { Replicas: 2 } } } }); // prettier-ignore
    const tasks = [1, 2].map((slot) => toTask({ ID: `t${slot}`, ServiceID: 's', Slot: slot, DesiredState: 'running', Status: { State: 'pending', Err: 'no suitable node (insufficient resources on 1 node)' }, Spec: spec })); // prettier-ignore
    const built = buildClusterView([], tasks, [service], []);
    expect(built.pending.map((t) => [t.cpuMilli, t.memoryMb])).toEqual([
      [250, 300],
      [250, 300],
    ]);
    expect(up(built).requests).toEqual([{ pool: 'default', count: 2, for: ['shop_web'] }]);
  });
});

describe('warm nodes', () => {
  const warmNode = (id: string, change: Partial<NodeView> = {}) =>
    node(id, { active: false, warm: true, nodeLabels: { ...node(id).nodeLabels, 'micado.warm': 'true' }, ...change }); // prettier-ignore
  const warmPool = (warm: number, change: Partial<NodePool> = {}) => ({
    default: pool({ warm, ...change }),
  });

  it('fills a pool\'s buffer, counting warm nodes there and on their way', () => {
    expect(up(view({}), warmPool(2)).requests).toEqual([{ pool: 'default', count: 2, for: ['warm 2'], warm: 2 }]);
    expect(up(view({ nodes: [warmNode('w')] }), warmPool(2)).requests).toEqual([{ pool: 'default', count: 1, for: ['warm 2'], warm: 1 }]);
    const incoming = [{ pool: 'default', instance: 'i-x', warm: true }];
    expect(up(view({ nodes: [warmNode('w')], incoming }), warmPool(2)).requests).toEqual([]);
    // A node on its way for tasks is not warm, and an active idle node is not either.
    expect(up(view({ nodes: [node('a')], incoming: [{ pool: 'default', instance: 'i-y' }] }), warmPool(1)).requests).toEqual([{ pool: 'default', count: 1, for: ['warm 1'], warm: 1 }]);
  }); // prettier-ignore

  it('wakes a warm node a waiting task fits rather than starting one, then refills', () => {
    const plan = up(view({ nodes: [warmNode('w')], pending: [pending('a', 300), pending('b', 100)] }), warmPool(1));
    expect(plan.activate.map((a) => [a.node.id, a.for])).toEqual([['w', ['container-a', 'container-b']]]);
    // Both tasks fit the woken node: the only node asked for refills the buffer.
    expect(plan.requests).toEqual([{ pool: 'default', count: 1, for: ['warm 1'], warm: 1 }]);
  }); // prettier-ignore

  it('wakes no warm node a task does not fit, by size or constraint, or that is not Ready', () => {
    const big = up(view({ nodes: [warmNode('w')], pending: [pending('a', 600)] }), { default: pool({ warm: 1, flavour: 'large' }) });
    expect(big.activate).toEqual([]);
    const pinned = pending('p', 100, { constraints: ['node.labels.micado.pool==database'] });
    const pools = { ...warmPool(1), database: pool() };
    const plan = up(view({ nodes: [warmNode('w')], pending: [pinned] }), pools);
    expect(plan.activate).toEqual([]);
    expect(plan.requests).toEqual([{ pool: 'database', count: 1, for: ['container-p'] }]);
    expect(up(view({ nodes: [warmNode('w', { ready: false })], pending: [pending('a', 100)] }), warmPool(1)).activate).toEqual([]);
  }); // prettier-ignore

  it("seeds a warm node with its pool's most used images, then the cluster's", () => {
    const svc = (name: string, image: string, replicas = 1) => ({ id: name, version: 1, name, image, replicas, labels: {}, reservations: {}, constraints: [], ports: [], command: [], args: [], env: [], createdAt: '', updatedAt: '' }); // prettier-ignore
    const services = [svc('web', 'reg/web', 3), svc('db', 'reg/db'), svc('api', 'reg/api', 5), svc('cache', 'reg/cache', 2)];
    const runs = (id: string, ...names: string[]) => names.map((service) => ({ id: `${id}${service}`, service, cpuMilli: 1, memoryMb: 1, constraints: [] })); // prettier-ignore
    const nodes = [node('a', { tasks: runs('a', 'web', 'db', 'web') }), node('b', { tasks: runs('b', 'web') }), node('o', { pool: 'other', tasks: runs('o', 'api') })];
    const images = new PoolImages();
    images.observe(nodes, services, NOW);
    expect(images.toSeed('default', 3)).toEqual(['reg/web', 'reg/db', 'reg/api']);
    expect(images.toSeed('empty', 2)).toEqual(['reg/api', 'reg/web']);
    // A new node's waiting tasks' images come first; none at all when seeding is off.
    expect(images.toSeed('default', 2, ['reg/cache', 'reg/web'])).toEqual(['reg/cache', 'reg/web']);
    expect(images.toSeed('default', 0)).toEqual([]);
    // Gone from the pool, an image is remembered for it (after what runs), for a day.
    images.observe([node('a', { tasks: runs('a', 'cache') })], services, NOW + 1000);
    expect(images.toSeed('default', 3)).toEqual(['reg/cache', 'reg/db', 'reg/web']);
    images.observe([], services, NOW + 25 * 3_600_000);
    expect(images.toSeed('default', 1)).toEqual(['reg/api']);
  }); // prettier-ignore

  it('keeps warm nodes within max: a pool at its max refills nothing', () => {
    expect(up(view({ nodes: [node('a'), node('b')] }), warmPool(1, { max: 2 })).requests).toEqual([]);
  }); // prettier-ignore
});

describe('constraints', () => {
  const traits = poolTraits('application', pool({ labels: { zone: 'A' } }));
  it.each([
    [['node.labels.micado.pool==application'], true],
    [['node.labels.micado.pool==database'], false],
    [['node.labels.zone==a'], true],
    [['engine.labels.zone!=A'], false],
    [['node.role==worker', 'node.labels.micado.autoscaled==true'], true],
    [['node.hostname==web1'], false],
    [['node.hostname!=web1'], true],
    [['nonsense'], false],
  ])('%j → %s', (constraints, expected) => expect(satisfies(traits, constraints)).toBe(expected));
});

describe('backoff', () => {
  const settings = { backoffInitialMs: 30_000, backoffMaxMs: 100_000 };
  it('doubles per failure window up to the cap, and resets on success', () => {
    let state = FRESH_POOL;
    const delays: number[] = [];
    // Each start is asked for after the previous window opened: four windows.
    for (let i = 0; i < 4; i++) {
      state = afterFailure(state, NOW + i, NOW + i, settings);
      delays.push(state.backoffUntil - (NOW + i));
    }
    expect(delays).toEqual([30_000, 60_000, 100_000, 100_000]);
    expect(isBackedOff(state, NOW + 3 + 99_999)).toBe(true);
    expect(isBackedOff(state, NOW + 3 + 100_000)).toBe(false);
    expect(isBackedOff(afterSuccess(state), NOW)).toBe(false);
  });

  it('counts concurrent starts that fail together as one window', () => {
    // Five starts asked for at once fail one after another within 8 s.
    let state = FRESH_POOL;
    for (let i = 0; i < 5; i++) state = afterFailure(state, NOW + i * 2000, NOW - 1000, settings);
    expect(state.failures).toBe(1);
    expect(state.backoffUntil).toBe(NOW + 30_000);
    // A start asked for once the window opened (after its backoff) fails: it doubles.
    state = afterFailure(state, NOW + 50_000, NOW + 31_000, settings);
    expect(state.failures).toBe(2);
    expect(state.backoffUntil).toBe(NOW + 50_000 + 60_000);
  });
});

describe('scale-down', () => {
  const settings = {
    scaleDownUtilization: 0.5,
    scaleDownUnneededMs: 600_000,
    scaleDownDelayAfterUpMs: 600_000,
    scaleDownCooldownMs: 60_000,
  };
  const task = (id: string, memoryMb: number) => ({
    id,
    service: 's',
    cpuMilli: 10,
    memoryMb,
    constraints: [],
  });
  function down(
    v: ClusterView,
    since: Record<string, number>,
    change: {
      lastScaleUp?: number;
      pools?: Record<string, NodePool>;
      states?: Map<string, PoolState>;
    } = {},
  ) {
    return planScaleDown({
      view: v, pools: change.pools ?? { default: pool() }, settings, poolStates: change.states ?? new Map(),
      unneededSince: new Map(Object.entries(since)), lastScaleUp: change.lastScaleUp ?? -Infinity, now: NOW,
    }); // prettier-ignore
  }
  const long = NOW - 600_000;

  it('starts the clock on a node under the threshold and gives it back once unneeded long enough', () => {
    const nodes = [
      node('a'),
      node('b', { reserved: { cpuMilli: 0, memoryMb: 300 }, tasks: [task('t', 300)] }),
    ];
    const first = down(view({ nodes }), {});
    expect([...first.unneededSince]).toEqual([['a', NOW]]);
    expect(first.remove).toEqual([]);
    expect(down(view({ nodes }), { a: long }).remove.map((n) => n.id)).toEqual(['a']);
  });

  it.each([
    ['the manager', node('m', { role: 'manager' })],
    ['a node started by hand', node('h', { autoscaled: false })],
    ['a node of a pool no longer configured', node('p', { pool: 'gone' })],
  ])('never gives back %s', (_, n) => {
    expect(down(view({ nodes: [n] }), { [n.id]: long }).remove).toEqual([]);
  });

  it('keeps a pool at its min', () => {
    const nodes = [node('a'), node('b')];
    expect(
      down(
        view({ nodes }),
        { a: long, b: long },
        { pools: { default: pool({ min: 1 }) } },
      ).remove.map((n) => n.id),
    ).toEqual(['a']);
  });

  it('waits after a scale-up, while tasks are pending or nodes coming, and in the pool cooldown', () => {
    const nodes = [node('a')];
    expect(down(view({ nodes }), { a: long }, { lastScaleUp: NOW - 1000 }).remove).toEqual([]);
    expect(down(view({ nodes, pending: [pending('x', 600)] }), { a: long }).remove).toEqual([]);
    expect(
      down(view({ nodes, incoming: [{ pool: 'default', instance: 'i-z' }] }), { a: long }).remove,
    ).toEqual([]);
    const states = new Map([['default', { ...FRESH_POOL, lastScaleDown: NOW - 1000 }]]);
    expect(down(view({ nodes }), { a: long }, { states }).remove).toEqual([]);
  });

  it('keeps a pool\'s warm nodes, gives back those beyond its warm, and keeps an empty node warm when short', () => {
    const warm = (id: string) => node(id, { active: false, warm: true });
    const pools = (n: number) => ({ default: pool({ warm: n }) });
    // Warm nodes are idle by design: the pool keeps as many as it wants, at once or later.
    expect(down(view({ nodes: [warm('w1'), warm('w2')] }), { }, { pools: pools(2) }).remove).toEqual([]);
    expect(down(view({ nodes: [warm('w1'), warm('w2')] }), { }, { pools: pools(1) }).remove.map((n) => n.id)).toEqual(['w2']);
    // An empty node due to go back while the pool is short of warm nodes is kept warm.
    const short = down(view({ nodes: [node('a'), node('b')] }), { a: long, b: long }, { pools: pools(1) });
    expect([short.keepWarm.map((n) => n.id), short.remove.map((n) => n.id)]).toEqual([['a'], ['b']]);
    // But not a node with tasks, which goes back as before.
    const busy = node('c', { reserved: { cpuMilli: 10, memoryMb: 10 }, tasks: [task('t', 10)] });
    const kept = down(view({ nodes: [busy, node('d', { reserved: { cpuMilli: 0, memoryMb: 300 }, tasks: [task('u', 300)] })] }), { c: long }, { pools: pools(1) });
    expect([kept.keepWarm, kept.remove.map((n) => n.id)]).toEqual([[], ['c']]);
  }); // prettier-ignore

  it('moves tasks only where they fit, one busy node per cycle', () => {
    const busy = (id: string, mb: number) =>
      node(id, { reserved: { cpuMilli: 10, memoryMb: mb }, tasks: [task(`t${id}`, mb)] });
    // b's 200 MB fits on c (300 MB used of 512 is over the threshold: c stays).
    const fits = [busy('b', 200), busy('c', 300)];
    expect(down(view({ nodes: fits }), { b: long }).remove.map((n) => n.id)).toEqual(['b']);
    const tight = [busy('b', 200), busy('c', 400)];
    expect(down(view({ nodes: tight }), { b: long }).remove).toEqual([]);
    const two = [busy('a', 100), busy('b', 100), node('c')];
    expect(down(view({ nodes: two }), { a: long, b: long }).remove.map((n) => n.id)).toEqual(['a']);
  });
});

describe('replica policy from labels', () => {
  const D = { minReplicas: 1, cpuHighPercent: 80, cpuLowPercent: 20, memoryHighPercent: 80, memoryLowPercent: 20 }; // prettier-ignore
  it.each([
    ['the JSON micado policy set writes', { 'micado.policy': JSON.stringify({ ...D, maxReplicas: 4 }) }, { ...D, maxReplicas: 4 }],
    ['deploy labels, max alone: the rest as policy set takes them', { 'micado.policy.max': '5' }, { ...D, maxReplicas: 5 }],
    ['deploy labels, every one', { 'micado.policy.min': '2', 'micado.policy.max': '6', 'micado.policy.cpu-high': '70', 'micado.policy.cpu-low': '10', 'micado.policy.memory-high': '90', 'micado.policy.memory-low': '30' },
      { minReplicas: 2, maxReplicas: 6, cpuHighPercent: 70, cpuLowPercent: 10, memoryHighPercent: 90, memoryLowPercent: 30 }],
    ['no max: none', { 'micado.policy.min': '2' }, undefined],
    ['max under min: none', { 'micado.policy.min': '3', 'micado.policy.max': '2' }, undefined],
    ['a word for a number: none', { 'micado.policy.max': 'five' }, undefined],
    ['a low mark over its high one: none', { 'micado.policy.max': '3', 'micado.policy.cpu-low': '90' }, undefined],
    ['no label: none', {}, undefined],
  ])('%s', (_, labels, expected) => {
    expect(policyFromLabels(labels as Record<string, string>)).toEqual(expected);
  }); // prettier-ignore
});

describe('replicas', () => {
  const policy = {
    cpuHighPercent: 80,
    memoryHighPercent: 80,
    cpuLowPercent: 20,
    memoryLowPercent: 20,
    minReplicas: 1,
    maxReplicas: 5,
  };
  const service = {
    name: 'container-web',
    image: 'web',
    replicas: 2,
    reserved: { cpuMilli: 100, memoryMb: 100 },
    policy: undefined,
  };
  function plan(usage: { cpuMilli?: number; memoryMb: number; replicas: number } | undefined, change: { replicas?: number; lastChange?: number; own?: boolean } = {}) {
    return planReplicas({
      services: [{ ...service, replicas: change.replicas ?? 2, policy: change.own ? { ...policy, maxReplicas: 3 } : undefined }],
      imagePolicies: [{ image: 'web', ...policy }],
      usage: new Map(usage ? [['container-web', { cpuMilli: usage.cpuMilli, memoryMb: usage.memoryMb, replicas: usage.replicas, measuredAt: NOW }]] : []),
      lastChange: new Map(change.lastChange ? [['container-web', change.lastChange]] : []),
      cooldownMs: 60_000,
      now: NOW,
    }).map((c) => [c.from, c.to]);
  } // prettier-ignore

  it.each([
    [
      'adds in proportion when over the high mark',
      { cpuMilli: 360, memoryMb: 50, replicas: 2 },
      {},
      [[2, 5]],
    ],
    [
      'takes one away when under both low marks',
      { cpuMilli: 20, memoryMb: 20, replicas: 2 },
      {},
      [[2, 1]],
    ],
    ['holds between the marks', { cpuMilli: 100, memoryMb: 100, replicas: 2 }, {}, []],
    [
      'holds on low CPU while memory is not low',
      { cpuMilli: 10, memoryMb: 100, replicas: 2 },
      {},
      [],
    ],
    [
      'stays within the cooldown',
      { cpuMilli: 360, memoryMb: 50, replicas: 2 },
      { lastChange: NOW - 1000 },
      [],
    ],
    [
      'leaves a quit container alone',
      { cpuMilli: 360, memoryMb: 50, replicas: 2 },
      { replicas: 0 },
      [],
    ],
    [
      "prefers the container's own policy",
      { cpuMilli: 360, memoryMb: 50, replicas: 2 },
      { own: true },
      [[2, 3]],
    ],
    ['brings replicas back within min and max', undefined, { replicas: 9 }, [[9, 5]]],
    ['does nothing unmeasured', undefined, {}, []],
  ])('%s', (_, usage, change, expected) => expect(plan(usage, change)).toEqual(expected));
});
