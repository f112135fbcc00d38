/**
 * The dashboard in Debian's Chromium, on a simulated cluster of 100 nodes and 1,000
 * containers (the state built by the manager's own code from a reading made up here),
 * next to the same page on an empty cluster, in one run:
 * - open -> first render (median of 5 page loads);
 * - a change the manager sees -> the open page showing it (median of 10).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { DashboardFeed } from '../src/dashboard/dashboard-feed.js';
import { dashboardHandler } from '../src/dashboard/dashboard-server.js';
import type { DashboardReading } from '../src/dashboard/dashboard-state.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../src/swarm/index.js';
import { median, ms } from './measure.js';

const ASSETS = join(import.meta.dirname, '../dist/dashboard');

function simulated(nodeCount: number, containerCount: number): DashboardReading {
  const now = Date.now();
  const capacity = { 'micado.cpu_milli': 4000, 'micado.mem_mb': 8192 };
  const reservations = { 'micado.cpu_milli': 200, 'micado.mem_mb': 256 };
  const nodes: SwarmNode[] = Array.from({ length: nodeCount }, (_, i) => ({
    id: `n${i}`, version: 1, hostname: `node-${i}`, role: 'worker', state: 'ready', availability: 'active',
    address: `10.0.${i >> 8}.${i & 255}`, labels: {}, capacity,
    engineLabels: { 'micado.instance': `i-${i.toString(16).padStart(8, '0')}`, 'micado.pool': i % 2 ? 'application' : 'database', 'micado.flavour': 'large' },
  })); // prettier-ignore
  const services: SwarmService[] = Array.from({ length: containerCount }, (_, i) => ({
    id: `s${i}`, version: 1, name: `container-c${i}`, image: 'r/app', replicas: 1, reservations,
    labels: { 'micado.container': `container-c${i}`, 'micado.client': `c${i}`, 'micado.image': 'app', ...(i % 10 ? {} : { 'micado.domain': `c${i}.example` }) },
    constraints: [], ports: [], command: [], args: [], env: [], createdAt: '', updatedAt: '',
  })); // prettier-ignore
  const tasks: SwarmTask[] = services.map((s, i) => ({
    id: `t${i}`, serviceId: s.id, nodeId: nodeCount ? `n${i % nodeCount}` : undefined, slot: 1, desiredState: 'running',
    state: nodeCount ? 'running' : 'pending', message: '', error: undefined, containerId: `c${i}`, reservations, ports: [], updatedAt: '',
  })); // prettier-ignore
  return {
    config: { cluster: { name: 'bench' } as never, pools: { application: { driver: 'local', flavour: 'large', min: 0, max: 60 } as never, database: { driver: 'local', flavour: 'large', min: 0, max: 60 } as never } }, // prettier-ignore
    now, nodes, services, tasks, instances: [], usage: [], intents: [], pools: new Map(),
    events: Array.from({ length: Math.min(500, containerCount) }, (_, i) => ({ at: now - (500 - i) * 20_000, actor: 'manager', action: 'replicas', subject: `container-c${i}`, message: '1 -> 2 replicas: CPU at 85% of what it reserves' })), // prettier-ignore
    samples: [], pending: [[now - 3_600_000, 0]], workers: [[now - 3_600_000, nodeCount]],
  }; // prettier-ignore
}

export async function benchDashboard(): Promise<string[][]> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const measure = async (nodes: number, containers: number) => {
      const reading = simulated(nodes, containers);
      const feed = new DashboardFeed({ read: async () => ({ ...reading }), onChange: () => () => {} }, { log: console.error }); // prettier-ignore
      const handler = dashboardHandler(feed, { token: undefined }, ASSETS);
      const server = createServer((req, res) => void handler(req, res).then((done) => done || res.writeHead(404).end())); // prettier-ignore
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      try {
        const opened: number[] = [];
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        for (let i = 0; i < 5; i++) {
          await page.goto(url);
          await page.waitForFunction(
            () => (globalThis as { micadoRendered?: unknown }).micadoRendered,
          );
          opened.push((await page.evaluate('window.micadoRendered.sinceOpen')) as number);
        }
        // A change the manager sees: the state's time moves, and one node goes down.
        const seen: number[] = [];
        for (let i = 0; i < 10; i++) {
          reading.now = Date.now();
          if (reading.nodes[i]) reading.nodes[i]!.state = 'down';
          feed.changed();
          await page.waitForFunction((at) => (globalThis as { micadoRendered?: { at: number } }).micadoRendered?.at === at, reading.now); // prettier-ignore
          seen.push(((await page.evaluate('window.micadoRendered.wall')) as number) - reading.now);
        }
        await page.close();
        feed.stop();
        return { opened: median(opened), seen: median(seen), bytes: (await feed.state()).length };
      } finally {
        server.closeAllConnections();
        server.close();
      }
    };
    const empty = await measure(0, 0);
    const full = await measure(100, 1000);
    return [
      ['dashboard: open -> first render, 100 nodes and 1,000 containers (median of 5)', ms(full.opened), `goal < 1000 ms; ${(full.bytes / 1024).toFixed(0)} KB of state; vs empty = ${(full.opened / empty.opened).toFixed(2)}`],
      ['dashboard: the same, empty cluster', ms(empty.opened), ''],
      ['dashboard: change seen by the manager -> shown by the page (median of 10)', ms(full.seen), `goal < 200 ms; empty cluster ${ms(empty.seen)}`],
    ]; // prettier-ignore
  } finally {
    await browser.close();
  }
}
