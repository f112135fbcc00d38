import { describe, expect, it } from 'vitest';
import { FakeSwarm } from '../testing/fake-swarm.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { SwarmClient, SwarmNode } from '../swarm/index.js';
import { Monitor } from './monitor.js';

const T = Date.UTC(2026, 10, 1, 10);
const MIN = 60_000;

const worker = (id: string, pool: string): SwarmNode => ({
  id, hostname: id, role: 'worker', state: 'ready', availability: 'active', address: '10.0.0.2',
  labels: {}, engineLabels: { 'micado.instance': id, 'micado.pool': pool },
  capacity: {}, managerStatus: undefined, createdAt: '', updatedAt: '',
}) as unknown as SwarmNode; // prettier-ignore

/** An engine with nothing running on it: a node that answers. */
const idleEngine = { listContainers: async () => [] } as unknown as SwarmClient;

describe('the monitor metering usage', () => {
  it("adds each refresh's nodes to their pool's hours, and a manager restarted picks up where it was", async () => {
    const swarm = new FakeSwarm();
    swarm.nodes = [worker('i-1', 'app'), worker('i-2', 'app')];
    const store = SqliteStore.open(':memory:');
    let now = T;
    const monitor = () =>
      new Monitor({ manager: swarm as unknown as SwarmClient, engineFor: () => idleEngine, store, options: { concurrency: 4, nodeTimeoutMs: 1000 }, now: () => now }); // prettier-ignore
    const nodeHours = async () => ((await store.usage({ since: T - 60 * MIN, until: T + 120 * MIN }))[0]?.nodeMs ?? 0) / (60 * MIN); // prettier-ignore

    // A monitor that does not meter (micado monitor beside the manager) adds nothing.
    await monitor().refresh();
    expect(await nodeHours()).toBe(0);
    now += MIN;
    // The manager's starts from the last refresh in the store (that one, at T).
    const first = monitor();
    first.meterUsage(MIN);
    for (; now <= T + 30 * MIN; now += MIN) await first.refresh();
    // Two nodes for 30 minutes.
    expect(await nodeHours()).toBeCloseTo(1, 6);
    // The manager restarts a minute later: its first refresh counts the minute after the
    // last one it made before, as it was, and nothing twice.
    now = T + 31 * MIN;
    const second = monitor();
    second.meterUsage(MIN);
    await second.refresh();
    expect(await nodeHours()).toBeCloseTo(1 + 2 / 60, 6);
    // Down for an hour: the store's last refresh is too old to stand for it, so the
    // hour it did not see counts for nothing.
    now = T + 91 * MIN;
    const third = monitor();
    third.meterUsage(MIN);
    await third.refresh();
    expect(await nodeHours()).toBeCloseTo(1 + 2 / 60, 6);
    await store.close();
  });
});
