/**
 * Service discovery benchmarks, side by side in one run:
 * - catalog size: /v1/catalog/services with 1,000 services (a simulated swarm), next to
 *   /v1/status/leader on the same server (the HTTP round trip alone).
 * - blocked watchers: the manager's CPU while 200 blocking queries wait and nothing
 *   changes, next to the same time with none.
 * - launch to watcher: on a real cluster, the time from a task running (Swarm's own
 *   timestamp) to a blocking watcher of its service hearing it, five launches.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../test/support/test-cluster.js';
import { BLOCKING_PER_ADDRESS, serveConsul } from '../src/discovery/consul-api.js';
import { ServiceCatalog } from '../src/discovery/service-catalog.js';
import { FakeSwarm } from '../src/testing/fake-swarm.js';
import { median, ms, timed } from './measure.js';
import { PerAddressLimit } from '../src/host/http-limits.js';

export async function benchDiscovery(): Promise<string[][]> {
  return [...(await benchCatalogServer()), ...(await benchLaunchToWatcher())];
}

async function benchCatalogServer(): Promise<string[][]> {
  const swarm = new FakeSwarm();
  swarm.nodes = Array.from({ length: 100 }, (_, i) => ({
    id: `n${i}`, version: 1, hostname: `node-${i}`, role: 'worker' as const, state: 'ready',
    availability: 'active' as const, address: `10.0.${Math.floor(i / 250)}.${i % 250}`,
    engineLabels: {}, labels: {}, capacity: {},
  })); // prettier-ignore
  swarm.services = Array.from({ length: 1000 }, (_, i) => ({
    id: `s${i}`, version: 1, name: `container-c${i}`, image: 'img', replicas: 1, reservations: {},
    constraints: [], ports: [{ target: 80, published: 10_000 + i, mode: 'host' as const }], command: [],
    args: [], env: [], createdAt: '', updatedAt: '',
    labels: { 'micado.container': `container-c${i}`, 'micado.client': `c${i}`, 'micado.image': 'img' },
  })); // prettier-ignore
  swarm.tasks = swarm.services.map((s, i) => ({
    id: `t${i}`, serviceId: s.id, nodeId: `n${i % 100}`, slot: 1, desiredState: 'running',
    state: 'running', message: '', error: undefined, containerId: undefined, reservations: {},
    ports: [], updatedAt: '',
  })); // prettier-ignore
  const catalog = new ServiceCatalog(swarm, { resyncMs: 600_000, log: () => undefined });
  await catalog.start();
  const identity = { datacenter: 'bench', nodeName: 'manager', address: '10.0.0.1' };
  const waiting = new PerAddressLimit(BLOCKING_PER_ADDRESS);
  const server: Server = createServer(
    (req, res) => void serveConsul(catalog, identity, req, res, waiting),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string) => (await fetch(`${base}${path}`)).arrayBuffer();
  try {
    const lists: number[] = [];
    const leaders: number[] = [];
    for (let i = 0; i < 30; i++) {
      lists.push(await timed(() => get('/v1/catalog/services')));
      leaders.push(await timed(() => get('/v1/status/leader')));
    }
    // 200 watchers blocked on an index that is current: nothing should run for them.
    const idleBefore = await cpuOver(2_000);
    const aborts = Array.from({ length: 200 }, () => new AbortController());
    const watchers = aborts.map((a, i) =>
      fetch(`${base}/v1/health/service/container-c${i}?index=${catalog.index}&wait=60s`, {
        signal: a.signal,
      }).catch(() => undefined),
    );
    await sleep(500);
    const blocked = await cpuOver(2_000);
    aborts.forEach((a) => a.abort());
    await Promise.all(watchers);
    const list = median(lists);
    const leader = median(leaders);
    return [
      ['/v1/catalog/services, 1,000 services (median of 30)', ms(list), `goal < 20 ms; list/round trip = ${(list / leader).toFixed(2)}`],
      ['/v1/status/leader (the round trip alone)', ms(leader), ''],
      ['manager CPU, 200 blocked watchers, 2 s', `${blocked.toFixed(1)} ms`, `idle 2 s: ${idleBefore.toFixed(1)} ms CPU`],
    ]; // prettier-ignore
  } finally {
    server.closeAllConnections();
    server.close();
    await catalog.stop();
  }
}

/** CPU (user + system) this process spends over `periodMs`, in ms. */
async function cpuOver(periodMs: number): Promise<number> {
  const start = process.cpuUsage();
  await sleep(periodMs);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function benchLaunchToWatcher(): Promise<string[][]> {
  const cluster = new TestCluster();
  const cli = async (...args: string[]) => {
    const result = await cluster.micado(...args);
    if (result.code !== 0) throw new Error(`micado ${args.join(' ')}: ${result.stderr}`);
  };
  try {
    await cli('up');
    await cli('start', '-f', 'small', '-t', 'bench01');
    const base = `http://${cluster.config.manager.listen}`;
    const manager = cluster.manager();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const name = `container-w${i}`;
      const first = await fetch(`${base}/v1/health/service/${name}?passing`);
      let index = first.headers.get('x-consul-index');
      await first.arrayBuffer();
      const heard = (async () => {
        for (;;) {
          const answer = await fetch(
            `${base}/v1/health/service/${name}?passing&index=${index}&wait=60s`,
          );
          const seenAt = Date.now();
          index = answer.headers.get('x-consul-index');
          if (((await answer.json()) as unknown[]).length > 0) return seenAt;
        }
      })();
      await cli(
        'launch',
        '-i',
        'micado/base',
        '-n',
        `w${i}`,
        '-s',
        'sleep',
        '-a',
        '3600',
        '--detach',
      );
      const seenAt = await heard;
      const service = (await manager.listServices()).find((s) => s.name === name)!;
      const task = (await manager.listTasks()).find(
        (t) => t.serviceId === service.id && t.state === 'running',
      )!;
      delays.push(seenAt - Date.parse(task.updatedAt));
    }
    const delay = median(delays);
    return [
      ['task running -> blocking watcher hears it (median of 5)', ms(delay), `goal < 200 ms; max ${ms(Math.max(...delays))}`],
    ]; // prettier-ignore
  } finally {
    await cluster.destroy();
  }
}
