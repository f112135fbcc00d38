import { describe, expect, it } from 'vitest';
import { resourcesOf, serviceBody, toNode, toService, toTask } from './engine-mapping.js';

describe('engine mapping', () => {
  it('builds a service that reserves generic resources and keeps its constraints', () => {
    const body = serviceBody({
      name: 'web',
      image: 'reg:5000/web:1',
      command: ['sleep', '1'],
      replicas: 2,
      reservations: { 'micado.mem_mb': 300, 'micado.cpu_milli': 0 },
      constraints: ['node.labels.micado.pool==application'],
      ports: [{ target: 80, published: 8080, mode: 'host' }],
    });
    expect(body).toMatchObject({
      Name: 'web',
      Mode: { Replicated: { Replicas: 2 } },
      TaskTemplate: {
        ContainerSpec: { Image: 'reg:5000/web:1', Command: ['sleep', '1'] },
        Resources: {
          Reservations: {
            GenericResources: [{ DiscreteResourceSpec: { Kind: 'micado.mem_mb', Value: 300 } }],
          },
        },
        Placement: { Constraints: ['node.labels.micado.pool==application'] },
      },
      EndpointSpec: {
        Ports: [{ TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp', PublishMode: 'host' }],
      },
    });
  });

  it('puts a service on its networks, its name resolving to its tasks (no virtual IP)', () => {
    const body = serviceBody({
      name: 'db',
      image: 'reg:5000/db:1',
      networks: ['micado-client-acme'],
      ports: [{ target: 5432, published: 0, mode: 'host' }],
    });
    expect(body).toMatchObject({
      TaskTemplate: { Networks: [{ Target: 'micado-client-acme' }] },
      EndpointSpec: {
        Mode: 'dnsrr',
        Ports: [{ TargetPort: 5432, Protocol: 'tcp', PublishMode: 'host' }],
      },
    });
    expect(serviceBody({ name: 'a', image: 'b', networks: ['n'] }).EndpointSpec).toEqual({ Mode: 'dnsrr' }); // prettier-ignore
    expect(serviceBody({ name: 'a', image: 'b' }).EndpointSpec).toBeUndefined();
  });

  it('sums discrete resources and counts named ones', () => {
    expect(
      resourcesOf([
        { DiscreteResourceSpec: { Kind: 'micado.mem_mb', Value: 512 } },
        { DiscreteResourceSpec: { Kind: 'micado.mem_mb', Value: 512 } },
        { NamedResourceSpec: { Kind: 'gpu', Value: 'uuid-1' } },
      ]),
    ).toEqual({ 'micado.mem_mb': 1024, gpu: 1 });
    expect(resourcesOf(null)).toEqual({});
  });

  it('reads a node as the engine returns it', () => {
    const node = toNode({
      ID: 'n1',
      Version: { Index: 7 },
      Spec: { Role: 'worker', Availability: 'active', Labels: { 'micado.pool': 'app' } },
      Description: {
        Hostname: 'm-i-1',
        Engine: { Labels: { 'micado.instance': 'i-1' } },
        Resources: {
          GenericResources: [{ DiscreteResourceSpec: { Kind: 'micado.cpu_milli', Value: 1000 } }],
        },
      },
      Status: { State: 'ready', Addr: '10.232.0.3' },
    });
    expect(node).toEqual({
      id: 'n1',
      version: 7,
      hostname: 'm-i-1',
      role: 'worker',
      state: 'ready',
      availability: 'active',
      address: '10.232.0.3',
      engineLabels: { 'micado.instance': 'i-1' },
      labels: { 'micado.pool': 'app' },
      capacity: { 'micado.cpu_milli': 1000 },
    });
  });

  it('reads a pending task with its scheduling error', () => {
    const task = toTask({
      ID: 't1',
      ServiceID: 's1',
      NodeID: '',
      Slot: 3,
      DesiredState: 'running',
      Status: {
        State: 'pending',
        Message: 'pending task scheduling',
        Err: 'no suitable node (insufficient resources on 2 nodes)',
      },
      Spec: {
        Resources: {
          Reservations: {
            GenericResources: [{ DiscreteResourceSpec: { Kind: 'micado.mem_mb', Value: 400 } }],
          },
        },
      },
    });
    expect(task.nodeId).toBeUndefined();
    expect(task.state).toBe('pending');
    expect(task.error).toMatch(/insufficient resources/);
    expect(task.reservations).toEqual({ 'micado.mem_mb': 400 });
  });

  it.each([
    ['native only (a stack)', { NanoCPUs: 250_000_000, MemoryBytes: 300 * 2 ** 20 }, { 'micado.cpu_milli': 250, 'micado.mem_mb': 300 }],
    ['native, rounded up', { MemoryBytes: 1 }, { 'micado.mem_mb': 1 }],
    ['generic only (micado launch)', { GenericResources: [{ DiscreteResourceSpec: { Kind: 'micado.cpu_milli', Value: 100 } }] }, { 'micado.cpu_milli': 100 }],
    ['both: the larger of each', { NanoCPUs: 500_000_000, MemoryBytes: 64 * 2 ** 20, GenericResources: [{ DiscreteResourceSpec: { Kind: 'micado.mem_mb', Value: 128 } }, { DiscreteResourceSpec: { Kind: 'micado.cpu_milli', Value: 100 } }] }, { 'micado.cpu_milli': 500, 'micado.mem_mb': 128 }],
    ['none', undefined, {}],
  ])('counts what a task reserves, %s', (_, reservations, expected) => {
    const service = toService({ ID: 's', Spec: { Name: 'shop_web', TaskTemplate: { Resources: { Reservations: reservations } } } }); // prettier-ignore
    expect(service.reservations).toEqual(expected);
  }); // prettier-ignore
});
