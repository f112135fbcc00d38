import { describe, expect, it } from 'vitest';
import type { SwarmService, SwarmTask } from '../swarm/index.js';
import { checkContainerName, containerNameFor, chooseContainerName } from './container-names.js';
import { checkLaunchOptions, containerServiceSpec } from './container-spec.js';
import { containerView } from './container-view.js';
import { resolveImage } from './image-reference.js';
import { parseCpuMilli, parseMemoryMb } from './quantities.js';

const REGISTRY = '10.232.0.2:5000';

describe('container names', () => {
  it.each([
    ['client', 'container-client'],
    ['container-abc', 'container-abc'],
    ['a1-b2', 'container-a1-b2'],
  ])('names the container of client %s', (client, name) => {
    expect(containerNameFor(client)).toBe(name);
  });

  it.each(['', 'Client', 'a_b', '-a', 'a-', 'x'.repeat(49), 'container-', 'a b'])(
    'refuses the client name %j',
    (client) => {
      expect(() => containerNameFor(client)).toThrow(/invalid client name/);
    },
  );

  it.each(['abc', 'container_abc', 'container-ABC', 'container-a/b', 'container-'])(
    'refuses the container name %j',
    (name) => {
      expect(() => checkContainerName(name)).toThrow(/must look like container-NAME/);
    },
  );
});

describe("a client's containers", () => {
  const none = new Set<string>();
  it('names the first container-CLIENT, as the manual does, and the next after its image', () => {
    expect(chooseContainerName('acme', 'container-web', none)).toBe('container-acme');
    expect(chooseContainerName('acme', 'container-db', new Set(['container-acme']))).toBe('container-acme-db');
    expect(chooseContainerName('acme', '10.0.0.2:5000/team/Redis_Cache:7', new Set(['container-acme']))).toBe('container-acme-redis-cache');
    expect(chooseContainerName('acme', 'container-db', none, 'container-acme-orders')).toBe('container-acme-orders');
    expect(chooseContainerName('acme', 'container-db', none, 'container-acme')).toBe('container-acme');
  }); // prettier-ignore

  it('refuses a name taken, saying how to choose one', () => {
    expect(() => chooseContainerName('acme', 'container-db', new Set(['container-acme', 'container-acme-db']))).toThrow(
      /^client acme already has container-acme and container-acme-db: name this one with --container-name container-NAME$/,
    );
    expect(() => chooseContainerName('acme', 'x', new Set(['container-acme-orders']), 'container-acme-orders')).toThrow(/container 'container-acme-orders' already exists/);
    // Never another client's name: not another's prefix, nor a longer client's first name.
    expect(() => chooseContainerName('acme', 'x', none, 'container-orders')).toThrow(/^--container-name container-orders is not client acme's: name it container-acme-NAME$/);
    expect(() => chooseContainerName('acme', 'x', none, 'container-bob-x')).toThrow(/is not client acme's/);
    expect(() => chooseContainerName('acme', 'x', none, 'container-acme-corp', new Set(['acme-corp']))).toThrow(/^--container-name container-acme-corp is a name of client acme-corp's: choose another container-acme-NAME$/);
    expect(() => chooseContainerName('acme', 'x', none, 'container-acme-corp-db', new Set(['acme-corp']))).toThrow(/client acme-corp's/);
    expect(() => chooseContainerName('acme', 'x', none, 'orders')).toThrow(/must look like container-NAME/);
  }); // prettier-ignore
});

describe('quantities', () => {
  it.each([
    ['300m', 300],
    ['300M', 300],
    ['300mb', 300],
    ['1g', 1024],
    ['1.5g', 1536],
    ['512', 512],
    ['2048k', 2],
  ])('reads memory %s as %i MB', (text, mb) => {
    expect(parseMemoryMb(text)).toBe(mb);
  });

  it.each(['', '0', '-1m', 'lots', '1t', '1.2.3g'])('refuses memory %j', (text) => {
    expect(() => parseMemoryMb(text)).toThrow(/invalid memory/);
  });

  it.each([
    ['0.5', 500],
    ['2', 2000],
    ['250m', 250],
  ])('reads cpu %s as %i millicores', (text, milli) => {
    expect(parseCpuMilli(text)).toBe(milli);
  });

  it.each(['', '0', 'half', '-1', '1.5m'])('refuses cpu %j', (text) => {
    expect(() => parseCpuMilli(text)).toThrow(/invalid cpu/);
  });
});

describe('image references', () => {
  it.each([
    ['container-default', `${REGISTRY}/container-default:latest`],
    ['micado/base', `${REGISTRY}/micado/base:latest`],
    ['app:1.2', `${REGISTRY}/app:1.2`],
    [`${REGISTRY}/app:2`, `${REGISTRY}/app:2`],
  ])('resolves %s against the private registry', (input, name) => {
    expect(resolveImage(input, REGISTRY).name).toBe(name);
  });

  it.each([
    ['docker.io/library/nginx', /not in the private registry/],
    ['localhost:5000/app', /not in the private registry/],
    ['App', /invalid image name/],
    ['app:', /invalid image name/],
    ['a//b', /invalid image name/],
  ])('refuses %s', (input, message) => {
    expect(() => resolveImage(input, REGISTRY)).toThrow(message);
  });
});

describe('launch options', () => {
  it.each([
    [{ environment: ['A=1', 'B='] }, undefined],
    [{ environment: ['NOVALUE'] }, /invalid environment 'NOVALUE'/],
    [{ environment: ['1A=x'] }, /invalid environment/],
    [{ environment: [], port: '0' }, /invalid port '0'/],
    [{ environment: [], port: '65536' }, /invalid port/],
    [{ environment: [], port: '80x' }, /invalid port/],
    [
      { environment: [], port: '2376' },
      /^port 2376 is taken on every node \(the node engine's TLS port\): choose another -p$/,
    ],
    [{ environment: [], port: '7946' }, /taken on every node/],
    [{ environment: [], containerPort: '0' }, /invalid container port '0'/],
    [{ environment: [], port: '8080', containerPort: '80' }, undefined],
    [{ environment: [], domain: 'bad_domain' }, /invalid domain/],
    [{ environment: [], location: 'Web' }, /invalid location/],
    [{ environment: [], replicas: '-1' }, /invalid replicas/],
    [{ environment: [], domain: 'a.example', path: '/api' }, undefined],
    [{ environment: [], domain: 'a.example', path: '/api/v1/' }, undefined],
    [{ environment: [], domain: 'a.example', path: '/' }, undefined],
    [{ environment: [], path: '/api' }, /--path needs --domain/],
    [{ environment: [], domain: 'a.example', path: 'api' }, /invalid path 'api'/],
    [{ environment: [], domain: 'a.example', path: '/../etc' }, /invalid path/],
    [{ environment: [], domain: 'a.example', path: '/a/./b' }, /invalid path/],
    [{ environment: [], domain: 'a.example', path: '//' }, /invalid path/],
    [{ environment: [], domain: 'a.example', path: '/a;b' }, /invalid path/],
    [{ environment: [], domain: 'a.example', path: '/a b' }, /invalid path/],
    [{ environment: [], domain: 'a.example', path: '/a{b}' }, /invalid path/],
    [{ environment: [], domain: 'a.example', path: '/a\nb' }, /invalid path/],
    [{ environment: [], domain: 'a.example', path: `/${'a'.repeat(250)}` }, /invalid path/],
  ])('checks %j', (options, problem) => {
    const result = checkLaunchOptions(options);
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toMatch(problem);
  });

  it('publishes a port without a domain on the same port of its node', () => {
    const spec = containerServiceSpec({
      name: 'container-db', client: 'db', environment: [], cpuMilli: 100, memoryMb: 64, replicas: 1,
      image: { given: 'db', name: `${REGISTRY}/db:latest` }, port: 5432,
    }); // prettier-ignore
    expect(spec.ports).toEqual([{ target: 5432, published: 5432, mode: 'host' }]);
  });

  it.each([
    ['-p with a domain: the same port of its node, proxied there', { port: 8080, domain: 'a.example' }, { target: 8080, published: 8080 }],
    ['-p and --container-port: the node port to the container port', { port: 8080, containerPort: 80 }, { target: 80, published: 8080 }],
    ['--container-port alone: a node port per task, the engine choice', { containerPort: 80, domain: 'a.example' }, { target: 80, published: 0 }],
    ['--container-port without a domain: a node port per task too', { containerPort: 80 }, { target: 80, published: 0 }],
  ])('publishes %s', (_, ports, published) => {
    const spec = containerServiceSpec({
      name: 'container-web', client: 'web', environment: [], cpuMilli: 100, memoryMb: 64, replicas: 1,
      image: { given: 'web', name: `${REGISTRY}/web:latest` }, ...ports,
    }); // prettier-ignore
    expect(spec.ports).toEqual([{ ...published, mode: 'host' }]);
  }); // prettier-ignore

  it('publishes nothing without a port of either kind', () => {
    const spec = containerServiceSpec({
      name: 'container-job', client: 'job', environment: [], cpuMilli: 100, memoryMb: 64, replicas: 1,
      image: { given: 'job', name: `${REGISTRY}/job:latest` },
    }); // prettier-ignore
    expect(spec.ports).toBeUndefined();
  });

  it('makes a labelled service that reserves capacity and publishes on its node', () => {
    const spec = containerServiceSpec({
      name: 'container-client',
      client: 'client',
      image: { given: 'container-default', name: `${REGISTRY}/container-default:latest` },
      location: 'application',
      script: '/usr/src/app/app.sh',
      arguments: ['user', 'host_ip'],
      domain: 'app.example.org',
      path: '/shop/',
      containerPort: 8080,
      environment: ['MODE=prod'],
      cpuMilli: 500,
      memoryMb: 300,
      replicas: 1,
    });
    expect(spec).toEqual({
      name: 'container-client',
      image: `${REGISTRY}/container-default:latest`,
      labels: {
        'micado.container': 'container-client',
        'micado.client': 'client',
        'micado.image': 'container-default',
        'micado.domain': 'app.example.org',
        'micado.path': '/shop',
        'micado.location': 'application',
      },
      env: ['MODE=prod'],
      replicas: 1,
      reservations: { 'micado.cpu_milli': 500, 'micado.mem_mb': 300 },
      // Only on the manager's own machines, whatever else was asked.
      constraints: ['node.labels.micado.member==true', 'node.labels.micado.pool==application'],
      command: ['/usr/src/app/app.sh'],
      args: ['user', 'host_ip'],
      // Reached through the proxy only: a node port per task, the engine's choice.
      ports: [{ target: 8080, published: 0, mode: 'host' }],
      // Held to what it reserved, with the defaults' pids limit and log rotation.
      limits: { memoryBytes: 300 * 1_048_576, nanoCpus: 500_000_000, pids: 512 },
      capabilityDrop: ['CAP_NET_RAW'],
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
    });
  });

  it('lets a container burst past its CPU reservation when asked, never past its memory', () => {
    const spec = containerServiceSpec({
      name: 'container-b',
      client: 'b',
      image: { given: 'container-b', name: `${REGISTRY}/container-b:latest` },
      environment: [],
      cpuMilli: 250,
      memoryMb: 64,
      cpuBurst: true,
      replicas: 2,
      limits: { pidsLimit: 100, logMaxSizeMb: 1, logMaxFiles: 2 },
    });
    expect(spec.limits).toEqual({ memoryBytes: 64 * 1_048_576, pids: 100 });
    expect(spec.logging?.options).toEqual({ 'max-size': '1m', 'max-file': '2' });
    // On its node's bridge unless it asks for its client's network.
    expect(spec.networks).toBeUndefined();
    const joined = containerServiceSpec({ name: 'container-b', client: 'b', image: { given: 'container-b', name: `${REGISTRY}/container-b:latest` }, environment: [], cpuMilli: 250, memoryMb: 64, replicas: 1, privateNetwork: true }); // prettier-ignore
    expect(joined.networks).toEqual(['micado-client-b']);
  });
});

describe('container view', () => {
  const service = (replicas: number): SwarmService => ({
    id: 's1',
    version: 1,
    name: 'container-a',
    image: `${REGISTRY}/app:1`,
    replicas,
    labels: { 'micado.container': 'container-a', 'micado.client': 'a', 'micado.image': 'app:1' },
    reservations: {},
    constraints: [],
    ports: [],
    command: [],
    args: [],
    env: [],
    createdAt: '',
    updatedAt: '',
  });
  const task = (state: string, extra: Partial<SwarmTask> = {}): SwarmTask => ({
    id: `t-${state}-${Math.random()}`,
    serviceId: 's1',
    nodeId: 'n1',
    slot: 1,
    desiredState: 'running',
    state,
    message: '',
    error: undefined,
    containerId: undefined,
    reservations: {},
    ports: [],
    updatedAt: '2026-01-01T00:00:00Z',
    ...extra,
  });
  const nodes = new Map([['n1', { hostname: 'node-1' } as never]]);

  it.each([
    ['stopped when scaled to 0', 0, [], 'stopped'],
    ['running when all replicas run', 1, [task('running')], 'running'],
    [
      'waiting for capacity when Swarm finds no room',
      1,
      [
        task('pending', {
          nodeId: undefined,
          error: 'no suitable node (insufficient resources on 2 nodes)',
        }),
      ],
      'waiting for capacity',
    ],
    ['pulling while a task prepares', 1, [task('preparing')], 'pulling'],
    ['starting while a task is assigned', 1, [task('assigned')], 'starting'],
    [
      'failing when its tasks fail and none is on the way',
      1,
      [task('failed', { desiredState: 'shutdown', error: 'task: non-zero exit (1)' })],
      'failing',
    ],
  ])('is %s', (_, replicas, tasks, state) => {
    expect(containerView(service(replicas), tasks, nodes).state).toBe(state);
  });

  it('names the nodes it runs on and the image as the user gave it', () => {
    const view = containerView(service(2), [task('running'), task('running')], nodes);
    expect(view).toMatchObject({
      nodes: ['node-1'],
      image: 'app:1',
      replicas: { desired: 2, running: 2 },
    });
  });

  it('says whether a proxy serves its domain, or what it lacks', () => {
    const withDomain = {
      ...service(1),
      labels: { ...service(1).labels, 'micado.domain': 'shop.example' },
      ports: [{ target: 80, published: 8080, mode: 'host' as const }],
    };
    const proxy = { hostname: 'proxy', state: 'ready', engineLabels: { 'micado.role': 'proxy' } };
    const worker = { hostname: 'node-1', state: 'ready', engineLabels: {} };
    const cluster = (...all: object[]) => new Map(all.map((n, i) => [i ? `p${i}` : 'n1', n as never]));
    const view = (tasks: SwarmTask[], nodes: Map<string, never>) => containerView(withDomain, tasks, nodes).proxied;
    expect(view([task('running')], cluster(worker, proxy))).toBe('served');
    expect(view([task('running')], cluster(worker))).toBe('no proxy');
    expect(view([task('pending')], cluster(worker, proxy))).toBe('no replica');
    expect(containerView(service(1), [task('running')], cluster(worker, proxy)).proxied).toBeUndefined();
  }); // prettier-ignore
});
