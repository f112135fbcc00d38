import { describe, expect, it } from 'vitest';
import type { SwarmNode, SwarmService, SwarmTask } from '../swarm/index.js';
import { buildRefresh } from './build-refresh.js';
import type { NodeReading } from './node-readings.js';
import { container as storedContainer } from '../store/store.fixtures.js';

const T = 1_800_000_000_000;

function node(id: string, change: Partial<SwarmNode> = {}): SwarmNode {
  return {
    id,
    version: 1,
    hostname: `h-${id}`,
    role: 'worker',
    state: 'ready',
    availability: 'active',
    address: `10.0.0.${id.length + 2}`,
    engineLabels: { 'micado.instance': `i-${id}`, 'micado.pool': 'web', 'micado.flavour': 'small' },
    labels: {},
    capacity: { 'micado.cpu_milli': 1000, 'micado.mem_mb': 512 },
    ...change,
  };
}

const service: SwarmService = {
  id: 's1',
  version: 1,
  name: 'container-web',
  image: 'reg/web:latest',
  replicas: 2,
  labels: { 'micado.container': 'container-web', 'micado.image': 'web' },
  reservations: { 'micado.cpu_milli': 100, 'micado.mem_mb': 64 },
  constraints: [],
  ports: [],
  command: [],
  args: [],
  env: [],
  createdAt: '',
  updatedAt: '',
};

function task(id: string, nodeId: string): SwarmTask {
  return {
    id,
    serviceId: 's1',
    nodeId,
    slot: 1,
    desiredState: 'running',
    state: 'running',
    message: '',
    error: undefined,
    containerId: `c-${id}`,
    reservations: { 'micado.cpu_milli': 100, 'micado.mem_mb': 64 },
    ports: [],
    updatedAt: '',
  };
}

function reading(n: SwarmNode, containers: [string, number, number][]): NodeReading {
  return {
    node: n,
    answered: true,
    containers: containers.map(([id, cpuTotalNs, memoryMb]) => ({
      container: {
        id,
        name: `container-web.1.${id}`,
        image: 'reg/web:latest@sha256:x',
        state: 'running',
        createdAt: T - 10_000,
        labels: { 'com.docker.swarm.service.name': 'container-web' },
        addresses: ['10.0.9.9'],
      },
      stats: { cpuTotalNs, memoryBytes: memoryMb * 1024 * 1024, readAt: T },
    })),
  };
}

describe('buildRefresh', () => {
  const a = node('a');
  const b = node('bb');

  it('measures CPU since creation on first sight, and since the last reading after', () => {
    const previous = storedContainer('c2', 'i-a', { cpuTotalNs: 1e9, lastSeen: T - 2000 });
    const { refresh, stale } = buildRefresh({
      at: T,
      nodes: [a, node('m', { role: 'manager' })],
      tasks: [task('1', 'a'), task('2', 'a')],
      services: [service],
      readings: [
        reading(a, [
          ['c1', 5e9, 20],
          ['c2', 2e9, 30.5],
        ]),
      ],
      previous: { instances: [], containers: [previous] },
    });
    expect(stale).toEqual([]);
    // c1: 5 s of CPU in the 10 s since it was created; c2: 1 s in the 2 s since the last reading.
    expect(refresh.containers.map((c) => [c.id, c.cpuMilli, c.memoryMb])).toEqual([
      ['c1', 500, 20],
      ['c2', 500, 30.5],
    ]);
    expect(refresh.containers[0]).toMatchObject({
      service: 'container-web',
      image: 'web',
      node: 'i-a',
      reserved: { cpuMilli: 100, memoryMb: 64 },
    });
    expect(refresh.instances).toEqual([
      expect.objectContaining({
        name: 'i-a',
        pool: 'web',
        capacity: { cpuMilli: 1000, memoryMb: 512 },
        reserved: { cpuMilli: 200, memoryMb: 128 },
        free: { cpuMilli: 800, memoryMb: 384 },
        used: { cpuMilli: 1000, memoryMb: 50.5 },
        stale: false,
        lastSeen: T,
      }),
    ]);
    expect(refresh.samples).toEqual([
      { at: T, kind: 'node', subject: 'i-a', cpuMilli: 1000, memoryMb: 50.5, pool: 'web' },
      // What reports add up: its replicas measured and what they reserve in all.
      { at: T, kind: 'container', subject: 'container-web', cpuMilli: 1000, memoryMb: 50.5, replicas: 2, reserved: { cpuMilli: 200, memoryMb: 128 } }, // prettier-ignore
    ]);
  });

  it('keeps what a node that did not answer had, marked stale', () => {
    const before = buildRefresh({
      at: T - 60_000,
      nodes: [b],
      tasks: [],
      services: [service],
      readings: [reading(b, [['c1', 1e9, 10]])],
      previous: { instances: [], containers: [] },
    }).refresh;
    const { refresh, stale } = buildRefresh({
      at: T,
      nodes: [b],
      tasks: [],
      services: [service],
      readings: [{ node: b, answered: false, reason: 'no answer within 10 s' }],
      previous: before,
    });
    expect(stale).toEqual([{ instance: 'i-bb', reason: 'no answer within 10 s' }]);
    expect(refresh.staleInstances).toEqual(['i-bb']);
    expect(refresh.instances[0]).toMatchObject({
      stale: true,
      used: before.instances[0]!.used,
      lastSeen: T - 60_000,
    });
    expect(refresh.containers).toEqual([]);
    expect(refresh.samples).toEqual([]);
  });

  it('lists a node that is down without asking it, and counts no CPU that went backwards', () => {
    const restarted = storedContainer('c1', 'i-a', { cpuTotalNs: 9e9, lastSeen: T - 1000 });
    const { refresh } = buildRefresh({
      at: T,
      nodes: [a, node('dn', { state: 'down' })],
      tasks: [],
      services: [service],
      readings: [reading(a, [['c1', 1e9, 10]])],
      previous: { instances: [], containers: [restarted] },
    });
    expect(refresh.instances.map((i) => [i.name, i.state, i.stale, i.lastSeen])).toEqual([
      ['i-a', 'ready', false, T],
      ['i-dn', 'down', false, 0],
    ]);
    expect(refresh.containers[0]?.cpuMilli).toBeUndefined();
  });
});
