import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Consul from 'consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSwarm } from '../testing/fake-swarm.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../swarm/index.js';
import { parseWait, serveConsul } from './consul-api.js';
import { PerAddressLimit } from '../host/http-limits.js';
import { ServiceCatalog } from './service-catalog.js';

const node = (id: string, hostname: string, address: string, labels: Record<string, string> = {}): SwarmNode => ({
  id, version: 1, hostname, role: 'worker', state: 'ready', availability: 'active', address,
  engineLabels: labels, labels: {}, capacity: {},
}); // prettier-ignore
const service = (name: string, labels: Record<string, string>, published?: number): SwarmService => ({
  id: `svc-${name}`, version: 1, name, image: 'reg/x:1', replicas: 1, reservations: {}, constraints: [],
  ports: published ? [{ target: 80, published, mode: 'host' }] : [], command: [], args: [], env: [],
  labels: { 'micado.container': name, ...labels }, createdAt: '', updatedAt: '',
}); // prettier-ignore
const task = (id: string, serviceId: string, nodeId: string, state: string, slot = 1): SwarmTask => ({
  id, serviceId, nodeId, slot, desiredState: 'running', state, message: '', error: undefined,
  containerId: undefined, reservations: {}, ports: [], updatedAt: '',
}); // prettier-ignore

describe('the catalog over Consul’s HTTP API', () => {
  const swarm = new FakeSwarm();
  let catalog: ServiceCatalog;
  let server: Server;
  const waiting = new PerAddressLimit(2);
  let base: string;
  let consul: Consul;

  beforeAll(async () => {
    swarm.nodes = [
      { ...node('m1', 'manager', '10.0.0.2'), role: 'manager' },
      node('w1', 'node-a', '10.0.0.3', { 'micado.instance': 'i-a', 'micado.pool': 'default' }),
    ];
    swarm.services = [service('container-web', { 'micado.client': 'web', 'micado.image': 'web:1', 'micado.domain': 'shop.example' }, 8080)];
    swarm.tasks = [task('t1', 'svc-container-web', 'w1', 'running')];
    catalog = new ServiceCatalog(swarm, { resyncMs: 60_000, log: () => undefined });
    await catalog.start();
    const identity = { datacenter: 'micado', nodeName: 'manager', address: '10.0.0.2' };
    server = createServer((req, res) => void serveConsul(catalog, identity, req, res, waiting).then((ok) => ok || res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    consul = new Consul({ host: '127.0.0.1', port });
  }); // prettier-ignore
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await catalog.stop();
  });

  it('lists services with the original’s tags, through the consul client', async () => {
    expect(await consul.catalog.service.list()).toEqual({
      'container-web': ['client=web', 'image=web:1', 'domain=shop.example'],
    });
  });

  it('answers where each instance runs, and its health', async () => {
    const [entry] = await consul.catalog.service.nodes('container-web');
    expect(entry).toMatchObject({
      Node: 'node-a', Address: '10.0.0.3', Datacenter: 'micado', ServiceID: 'container-web-1',
      ServiceName: 'container-web', ServiceAddress: '10.0.0.3', ServicePort: 8080,
      NodeMeta: { instance: 'i-a', pool: 'default', role: 'worker' },
    }); // prettier-ignore
    const [health] = await consul.health.service({ service: 'container-web', passing: true });
    expect(health.Service).toMatchObject({
      ID: 'container-web-1',
      Port: 8080,
      Address: '10.0.0.3',
    });
    expect(health.Checks.map((c: { Status: string }) => c.Status)).toEqual(['passing', 'passing']);
  });

  it('answers Consul’s own way for what it does not know, and 400 for a malformed index or wait', async () => {
    expect(await (await fetch(`${base}/v1/catalog/service/nothing`)).json()).toEqual([]);
    expect(await (await fetch(`${base}/v1/catalog/node/nothing`)).json()).toBeNull();
    const badIndex = await fetch(`${base}/v1/catalog/services?index=abc`);
    expect([badIndex.status, await badIndex.text()]).toEqual([400, 'Invalid index\n']);
    const badWait = await fetch(`${base}/v1/catalog/services?index=1&wait=soon`);
    expect([badWait.status, await badWait.text()]).toEqual([400, 'Invalid wait time\n']);
    expect((await fetch(`${base}/v1/kv/anything`)).status).toBe(404);
  });

  it('holds a blocking query until its own service changes, and answers the new index', async () => {
    const first = await fetch(`${base}/v1/health/service/container-web`);
    const index = Number(first.headers.get('x-consul-index'));
    let answered = false;
    const blocked = fetch(`${base}/v1/health/service/container-web?index=${index}&wait=30s`).then(async (r) => {
      answered = true;
      return { index: Number(r.headers.get('x-consul-index')), body: (await r.json()) as unknown[] };
    }); // prettier-ignore
    // Another service changing does not wake it.
    swarm.services.push(service('container-other', { 'micado.client': 'other' }));
    swarm.emit({
      type: 'service',
      action: 'create',
      id: 'svc-container-other',
      attributes: {},
      timeNano: 0,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    swarm.tasks.push(task('t2', 'svc-container-web', 'w1', 'running', 2));
    swarm.emit({
      type: 'service',
      action: 'update',
      id: 'svc-container-web',
      attributes: {},
      timeNano: 0,
    });
    const { index: next, body } = await blocked;
    expect(next).toBeGreaterThan(index);
    expect(body).toHaveLength(2);
  });

  it('wakes a watcher of the consul client on a change, within the same event', async () => {
    const watch = consul.watch({ method: consul.catalog.service.list, options: {} });
    const seen: Record<string, string[]>[] = [];
    const changed = new Promise<void>((resolve) =>
      watch.on('change', (data: Record<string, string[]>) => {
        seen.push(data);
        if (seen.length === 2) resolve();
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    swarm.services = swarm.services.filter((s) => s.name !== 'container-other');
    swarm.emit({
      type: 'service',
      action: 'remove',
      id: 'svc-container-other',
      attributes: {},
      timeNano: 0,
    });
    await changed;
    watch.end();
    expect(Object.keys(seen[1]!)).toEqual(['container-web']);
  });

  it('answers 429 to an address past its blocking queries, and takes it again once one has answered', async () => {
    const index = catalog.indexOf({ kind: 'all' }) + 100;
    const hold = () => fetch(`${base}/v1/catalog/services?index=${index}&wait=1s`);
    const held = [hold(), hold()];
    await new Promise((r) => setTimeout(r, 100));
    const refused = await fetch(`${base}/v1/catalog/services?index=${index}&wait=1s`);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toMatch(/^Too many blocking queries from \S+: at most 2 at once/);
    // A query that does not block is answered as ever.
    expect((await fetch(`${base}/v1/catalog/services`)).status).toBe(200);
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    expect((await hold()).status).toBe(200);
  });

  it('reads wait as Go durations', () => {
    expect([
      parseWait('30s'),
      parseWait('5m'),
      parseWait('100ms'),
      parseWait('10'),
      parseWait('x'),
    ]).toEqual([30_000, 300_000, 100, 10_000, undefined]);
  });
});
