/** The container pass's plan: expiry, and replicas within each client's limits. */
import { describe, expect, it } from 'vitest';
import type { ClientLimits, ContainerRecord } from '../store/store.js';
import type { SwarmService } from '../swarm/index.js';
import { planContainers, type ContainerPlanInput } from './container-pass.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const POLICY = { cpuHighPercent: 80, memoryHighPercent: 80, cpuLowPercent: 20, memoryLowPercent: 20, minReplicas: 1, maxReplicas: 10 }; // prettier-ignore

/** A container of `client` with `replicas`, 100 MB each, using `usedPercent` of its memory. */
function container(
  name: string,
  client: string,
  replicas: number,
  extra: Record<string, string> = {},
): SwarmService {
  return {
    id: `id-${name}`, version: 1, name, image: `registry/${name}:latest`, replicas,
    labels: { 'micado.container': name, 'micado.client': client, 'micado.image': 'web', ...extra },
    reservations: { 'micado.cpu_milli': 100, 'micado.mem_mb': 100 }, constraints: [], ports: [],
    command: [], args: [], env: [], createdAt: '', updatedAt: '',
  }; // prettier-ignore
}

/** Each replica of `service` measured at `memoryMb`. */
function measured(service: SwarmService, memoryMb: number): ContainerRecord[] {
  return Array.from({ length: service.replicas ?? 0 }, (_, i) => ({
    id: `${service.name}-${i}`, name: `${service.name}.${i}`, service: service.name, image: 'web', node: 'i-1',
    address: undefined, cpuMilli: 10, memoryMb, reserved: { cpuMilli: 100, memoryMb: 100 }, state: 'running',
    cpuTotalNs: 0, lastSeen: NOW,
  })); // prettier-ignore
}

function plan(
  services: SwarmService[],
  usage: ContainerRecord[],
  limits: Record<string, ClientLimits> = {},
  change: Partial<ContainerPlanInput> = {},
) {
  return planContainers({
    services, imagePolicies: [{ image: 'web', ...POLICY }], usage,
    clients: Object.entries(limits).map(([name, l]) => ({ name, domain: undefined, membership: undefined, limits: l, createdAt: 0, updatedAt: 0 })),
    defaultLimits: {}, lastChange: new Map(), cooldownMs: 60_000, now: NOW, ...change,
  }); // prettier-ignore
}

describe('the container pass', () => {
  const busy = container('container-a', 'acme', 2);
  const idle = container('container-b', 'acme', 3);
  const other = container('container-c', 'zeta', 2);

  it.each([
    ['one past its time limit is removed', { 'micado.expires': '2026-12-04T11:59:00.000Z' }, ['container-x']],
    ['one within it stays', { 'micado.expires': '2026-12-04T12:01:00.000Z' }, []],
    ['one without a limit stays', {}, []],
  ])('expiry: %s', (_, labels, removed) => {
    const result = plan([container('container-x', 'acme', 1, labels)], []);
    expect(result.expire.map((e) => e.service.name)).toEqual(removed);
  }); // prettier-ignore

  it('says when the limit ran out', () => {
    const result = plan([container('container-x', 'acme', 1, { 'micado.expires': '2026-12-04T11:00:00.000Z' })], []); // prettier-ignore
    expect(result.expire[0]?.message).toBe('container-x: its time limit ran out at 2026-12-04T11:00:00.000Z: removed'); // prettier-ignore
  });

  it('moves no replicas of a container it removes', () => {
    const expiring = container('container-a', 'acme', 2, { 'micado.expires': '2026-12-04T11:00:00.000Z' }); // prettier-ignore
    expect(plan([expiring], measured(expiring, 95)).replicas).toEqual([]);
  });

  it('leaves alone services micado did not launch', () => {
    const foreign = { ...busy, labels: {} };
    expect(plan([foreign], measured(busy, 95))).toEqual({ expire: [], replicas: [], held: [] });
  });

  it.each([
    ['no limit', {}, [['container-a', 3]], []],
    ['room for one more replica', { acme: { replicas: 3 } }, [['container-a', 3]], []],
    ['at its replica limit', { acme: { replicas: 2 } }, [], ['container-a']],
    ['at its memory limit', { acme: { memoryMb: 250 } }, [], ['container-a']],
    ["another client's limit", { zeta: { replicas: 0 } }, [['container-a', 3]], []],
  ])('adds replicas within the client limits: %s', (_, limits, moved, held) => {
    const result = plan([busy], measured(busy, 95), limits as Record<string, ClientLimits>);
    expect(result.replicas.map((r) => [r.service, r.to])).toEqual(moved);
    expect(result.held.map((h) => h.service)).toEqual(held);
  }); // prettier-ignore

  it('says why a change is held, naming the limit, the use and the request', () => {
    const result = plan([busy], measured(busy, 95), { acme: { replicas: 2 } });
    expect(result.held[0]?.message).toBe('held at 2 replicas: client acme may have 2 replicas: it has 2, and this asks 1 more'); // prettier-ignore
  });

  it("counts the changes it allows before: two of one client's containers cannot both pass a limit of one more", () => {
    const second = container('container-d', 'acme', 2);
    const result = plan([busy, second], [...measured(busy, 95), ...measured(second, 95)], { acme: { replicas: 5 } }); // prettier-ignore
    expect(result.replicas.map((r) => r.service)).toEqual(['container-a']);
    expect(result.held.map((h) => h.service)).toEqual(['container-d']);
  });

  it('takes replicas away whatever the limits, and respects the cooldown', () => {
    const result = plan([idle, other], [...measured(idle, 5), ...measured(other, 95)], { acme: { replicas: 0 } }); // prettier-ignore
    expect(result.replicas.map((r) => [r.service, r.to])).toEqual([['container-b', 2], ['container-c', 3]]); // prettier-ignore
    const cooling = plan([idle], measured(idle, 5), {}, { lastChange: new Map([['container-b', NOW - 1000]]) }); // prettier-ignore
    expect(cooling.replicas).toEqual([]);
  });

  it('holds a client with no record to the default limits', () => {
    const result = plan([busy], measured(busy, 95), {}, { defaultLimits: { replicas: 2 } });
    expect(result.held.map((h) => h.service)).toEqual(['container-a']);
  });
});
