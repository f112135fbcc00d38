import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwarmNode, SwarmService, SwarmTask } from '../swarm/index.js';
import { DashboardFeed } from './dashboard-feed.js';
import { dashboardHandler } from './dashboard-server.js';
import { dashboardState, type DashboardReading } from './dashboard-state.js';

const work = mkdtempSync(join(tmpdir(), 'micado-dashboard-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const NOW = Date.parse('2026-11-23T10:00:00Z');

const node = (id: string, hostname: string, engineLabels: Record<string, string>, labels: Record<string, string> = {}): SwarmNode => ({
  id, version: 1, hostname, role: 'worker', state: 'ready', availability: 'active', address: `10.0.0.${id.length}`,
  engineLabels, labels, capacity: { 'micado.cpu_milli': 1000, 'micado.mem_mb': 512 },
}); // prettier-ignore

function reading(): DashboardReading {
  const nodes = [
    node('n1', 'w1', { 'micado.instance': 'i-1', 'micado.pool': 'application', 'micado.flavour': 'small' }),
    node('n2', 'w2', { 'micado.instance': 'i-2', 'micado.pool': 'application' }, { 'micado.scaling-down': 'true' }),
    { ...node('n4', 'w4', { 'micado.instance': 'i-4', 'micado.pool': 'application' }, { 'micado.warm': 'true' }), availability: 'pause' as const },
  ]; // prettier-ignore
  const reservations = { 'micado.cpu_milli': 200, 'micado.mem_mb': 100 };
  const services: SwarmService[] = [{
    id: 's1', version: 1, name: 'container-web', image: 'r/web', replicas: 1,
    labels: { 'micado.container': 'container-web', 'micado.client': 'web', 'micado.image': 'web', 'micado.domain': 'web.example' },
    reservations, constraints: [], ports: [], command: [], args: [], env: ['SECRET=hunter2'], createdAt: '', updatedAt: '',
  }]; // prettier-ignore
  const tasks: SwarmTask[] = [{
    id: 't1', serviceId: 's1', nodeId: 'n1', slot: 1, desiredState: 'running', state: 'running', message: '',
    error: undefined, containerId: 'c1', reservations, ports: [], updatedAt: '',
  }]; // prettier-ignore
  return {
    config: { cluster: { name: 'demo' } as never, pools: { application: { driver: 'local', flavour: 'small', min: 0, max: 4 } as never } }, // prettier-ignore
    now: NOW,
    nodes,
    services,
    tasks,
    instances: [],
    usage: [{ id: 'c1', name: 'container-web.1.x', service: 'container-web', image: 'web', node: 'i-1', address: undefined, cpuMilli: 50, memoryMb: 40, reserved: { cpuMilli: 200, memoryMb: 100 }, state: 'running', cpuTotalNs: 0, lastSeen: NOW }], // prettier-ignore
    intents: [{ id: 'x', pool: 'application', driver: 'local', cloud: 'local', flavour: 'small', instance: 'i-3', state: 'requested', createdAt: NOW - 1000, updatedAt: NOW - 500, error: undefined }], // prettier-ignore
    pools: new Map([['application', { failures: 2, backoffUntil: NOW + 60_000, failedAt: NOW - 10_000, lastScaleUp: NOW - 5_000, lastScaleDown: -Infinity }]]), // prettier-ignore
    events: [
      { at: NOW - 2000, actor: 'manager', action: 'scale-up', subject: 'application', message: 'asked for i-3' },
      { at: NOW - 1000, actor: 'cli', action: 'policy', subject: 'web', message: 'set' },
    ], // prettier-ignore
    samples: [
      { at: NOW - 120_000, kind: 'node', subject: 'i-1', cpuMilli: 10, memoryMb: 10 },
      { at: NOW - 60_000, kind: 'node', subject: 'i-1', cpuMilli: 10, memoryMb: 10 },
      { at: NOW - 60_000, kind: 'node', subject: 'i-2', cpuMilli: 10, memoryMb: 10 },
    ], // prettier-ignore
    pending: [
      [NOW - 3000, 1],
      [NOW - 100, 0],
    ],
    workers: [[NOW - 30_000, 2]],
  };
}

describe('the dashboard state', () => {
  const state = dashboardState(reading());

  it('shows nodes coming up, ready, warm and draining, each with its reservation against its capacity', () => {
    expect(state.nodes.map((n) => [n.name, n.state])).toEqual([
      ['i-1', 'ready'],
      ['i-2', 'draining'],
      ['i-3', 'coming up'],
      ['i-4', 'warm'],
    ]);
    expect(state.nodes[0]).toMatchObject({ pool: 'application', flavour: 'small', capacity: { cpuMilli: 1000, memoryMb: 512 }, reserved: { cpuMilli: 200, memoryMb: 100 } }); // prettier-ignore
  });

  it('shows containers with where they run and their usage against what they reserve, and no environment', () => {
    expect(state.containers).toEqual([
      expect.objectContaining({ name: 'container-web', domain: 'web.example', replicas: { desired: 1, running: 1 }, tasks: [{ node: 'w1', state: 'running' }], reserved: { cpuMilli: 200, memoryMb: 100 }, used: { cpuMilli: 50, memoryMb: 40 } }),
    ]); // prettier-ignore
    expect(JSON.stringify(state)).not.toContain('hunter2');
  });

  it('shows pools with their backoff, the scaling timeline, and the series', () => {
    expect(state.pools).toEqual([{ name: 'application', driver: 'local', flavour: 'small', min: 0, max: 4, nodes: 4, failures: 2, backoffUntil: NOW + 60_000 }]); // prettier-ignore
    expect(state.events.map((e) => e.action)).toEqual(['scale-up']);
    // The monitor's refreshes until the manager counted Ready workers itself.
    expect(state.series.nodes).toEqual([[NOW - 120_000, 1], [NOW - 60_000, 2], [NOW - 30_000, 2]]); // prettier-ignore
  });
});

describe('the dashboard off loopback', () => {
  let server: Server;
  let base: string;
  const token = 'a-token-of-the-test-0123456789';

  beforeAll(async () => {
    const assets = join(work, 'assets');
    mkdirSync(assets);
    writeFileSync(join(assets, 'index.html'), '<!doctype html><p>the page</p>');
    writeFileSync(join(assets, 'app.js'), 'void 0');
    writeFileSync(join(assets, 'app.css'), '');
    const feed = new DashboardFeed({ read: async () => reading(), onChange: () => () => {} }, { log: () => {} }); // prettier-ignore
    const handler = dashboardHandler(feed, { token }, assets);
    server = createServer((req, res) => void handler(req, res).then((done) => done || res.writeHead(404).end())); // prettier-ignore
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it.each(['/dashboard/state', '/dashboard/stream', '/dashboard/app.js'])(
    'answers 401 and nothing else for %s without the token',
    async (path) => {
      const answer = await fetch(`${base}${path}`);
      expect(answer.status).toBe(401);
      const body = await answer.text();
      expect(body).not.toMatch(/container-web|i-1|demo/);
    },
  );

  it('shows a login form at / and, with the token, a cookie that opens the page', async () => {
    const form = await fetch(`${base}/`);
    expect(form.status).toBe(401);
    expect(await form.text()).toContain('action="/dashboard/login"');
    const wrong = await fetch(`${base}/dashboard/login`, { method: 'POST', body: new URLSearchParams({ token: 'nope' }), redirect: 'manual' }); // prettier-ignore
    expect(wrong.status).toBe(401);
    const right = await fetch(`${base}/dashboard/login`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual' }); // prettier-ignore
    expect(right.status).toBe(303);
    const cookie = right.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    // A session of its own, not the token: a cookie that leaks does not give the token away.
    expect(cookie).not.toContain(token);
    expect(cookie).not.toMatch(/Secure/);
    // A session made up opens nothing.
    expect(
      (await fetch(`${base}/`, { headers: { cookie: 'micado_dashboard=made-up' } })).status,
    ).toBe(401);
    const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('takes the token as a bearer', async () => {
    const answer = await fetch(`${base}/dashboard/state`, { headers: { authorization: `Bearer ${token}` } }); // prettier-ignore
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { cluster: string }).cluster).toBe('demo');
  });
});
