import { describe, expect, it } from 'vitest';
import type { SwarmService } from '../swarm/index.js';
import { describeLimits, limitsFrom, parseDuration } from './client-limits.js';
import { clientUsage, quotaProblem } from './client-quota.js';
import { expired, expiryOf } from './time-limits.js';
import { reportWindow, usageReport } from './usage-report.js';
import { UsageMeter, usageRow } from '../monitor/usage-meter.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { MetricSample } from '../store/store.js';

const service = (name: string, client: string, replicas: number, cpu = 100, mem = 64): SwarmService => ({
  id: name, version: 1, name, image: 'img', replicas, constraints: [], ports: [], command: [], args: [], env: [],
  labels: { 'micado.container': name, 'micado.client': client }, createdAt: '', updatedAt: '',
  reservations: { 'micado.cpu_milli': cpu, 'micado.mem_mb': mem },
}); // prettier-ignore

describe('client limits as typed', () => {
  it('reads counts, amounts, pools and durations, and none clears one', () => {
    const limits = limitsFrom({ maxContainers: '3', maxReplicas: '10', maxCpu: '2', maxMemory: '4g', pools: 'application,database', ttl: '24h', maxTtl: '7d' }); // prettier-ignore
    expect(limits).toEqual({ containers: 3, replicas: 10, cpuMilli: 2000, memoryMb: 4096, pools: ['application', 'database'], ttlMs: 86_400_000, maxTtlMs: 604_800_000 }); // prettier-ignore
    expect(limitsFrom({ maxCpu: 'none', maxContainers: '5' }, limits)).toEqual({ ...limits, containers: 5, cpuMilli: undefined }); // prettier-ignore
    expect(describeLimits(limits)).toBe('3 containers, 10 replicas, 2000m CPU, 4096 MB, pools application,database, ttl 1d, max ttl 7d'); // prettier-ignore
    expect(describeLimits({})).toBe('unlimited');
  });

  it.each([
    [{ maxContainers: '-1' }, /invalid --max-containers '-1'/],
    [{ maxReplicas: '1e9' }, /invalid --max-replicas/],
    [{ maxReplicas: '99999999' }, /invalid --max-replicas/],
    [{ maxCpu: 'lots' }, /invalid cpu/],
    [{ maxMemory: '-1m' }, /invalid memory/],
    [{ pools: 'App Pool' }, /invalid pool 'App Pool'/],
    [{ ttl: '0' }, /invalid --ttl '0'/],
    [{ ttl: '-5m' }, /invalid --ttl '-5m'/],
    [
      { ttl: '10 years' },
      /invalid --ttl '10 years': give a duration such as 30m, 24h or 7d, from a minute to a year/,
    ],
    [{ ttl: '5' }, /invalid --ttl '5'/],
    [
      { ttl: '2d', maxTtl: '1d' },
      /the default --ttl \(2 days\) is longer than --max-ttl \(1 day\)/,
    ],
  ])('refuses %j in one line', (options, message) => {
    expect(() => limitsFrom(options)).toThrow(message);
  });

  it('reads a duration with its unit', () => {
    expect(parseDuration('90m', '--ttl')).toBe(5_400_000);
    expect(parseDuration('1.5h', '--ttl')).toBe(5_400_000);
  });
});

describe('quotas', () => {
  const services = [service('container-a', 'acme', 2), service('container-b', 'acme', 1, 500, 256), service('container-c', 'other', 4)]; // prettier-ignore

  it("counts a client's containers, replicas and what they reserve", () => {
    expect(clientUsage(services, 'acme')).toEqual({ containers: 2, replicas: 3, reserved: { cpuMilli: 700, memoryMb: 384 } }); // prettier-ignore
  });

  it('names the limit, the use and the request of the first limit passed', () => {
    const usage = clientUsage(services, 'acme');
    const launch = { containers: 1, replicas: 2, each: { cpuMilli: 200, memoryMb: 128 }, pool: 'application' }; // prettier-ignore
    expect(quotaProblem('acme', {}, usage, launch)).toBeUndefined();
    expect(quotaProblem('acme', { containers: 2 }, usage, launch)).toBe('client acme may have 2 containers: it has 2, and this asks 1 more'); // prettier-ignore
    expect(quotaProblem('acme', { replicas: 4 }, usage, launch)).toBe('client acme may have 4 replicas: it has 3, and this asks 2 more'); // prettier-ignore
    expect(quotaProblem('acme', { cpuMilli: 1000 }, usage, launch)).toBe('client acme may have 1000m of CPU reserved: it has 700m, and this asks 400m more'); // prettier-ignore
    expect(quotaProblem('acme', { memoryMb: 512 }, usage, launch)).toBe('client acme may have 512 MB of memory reserved: it has 384 MB, and this asks 256 MB more'); // prettier-ignore
    expect(quotaProblem('acme', { pools: ['database'] }, usage, launch)).toBe('client acme may run only in pool database: launch with -l database'); // prettier-ignore
    // A replica change stays in the pools its container was launched in.
    expect(quotaProblem('acme', { pools: ['database'] }, usage, { ...launch, containers: 0, pool: undefined })).toBeUndefined(); // prettier-ignore
  });
});

describe('time limits', () => {
  const T = Date.UTC(2026, 10, 23, 12);
  it("gives a launch its --ttl, else its client's default, within its client's longest", () => {
    expect(expiryOf('2h', {}, T)).toBe(T + 7_200_000);
    expect(expiryOf(undefined, { ttlMs: 86_400_000 }, T)).toBe(T + 86_400_000);
    expect(expiryOf(undefined, {}, T)).toBeUndefined();
    expect(() => expiryOf('8d', { maxTtlMs: 604_800_000 }, T)).toThrow(/--ttl 8 days is past this client's longest, 7 days/);
  }); // prettier-ignore

  it('finds the containers whose time is up', () => {
    const at = (name: string, expires?: number) => ({ ...service(name, 'a', 1), labels: { 'micado.container': name, ...(expires ? { 'micado.expires': new Date(expires).toISOString() } : {}) } }); // prettier-ignore
    expect(expired([at('container-a', T - 1), at('container-b', T + 1), at('container-c')], T).map((s) => s.name)).toEqual(['container-a']); // prettier-ignore
  });
});

describe('usage reports', () => {
  const T = Date.UTC(2026, 10, 1);
  const MIN = 60_000;

  it('adds up known reservations over known durations to the hour, through the meter and the store', async () => {
    // A monitor refreshing every minute for 4 hours, its usage kept by a real store.
    const samplesAt = (at: number): MetricSample[] => {
      const minute = (at - T) / MIN;
      const samples: MetricSample[] = [];
      // acme: 2 replicas reserving 500m and 512 MB each, using half, for 3 hours.
      if (minute < 180) samples.push({ at, kind: 'container', subject: 'container-acme', client: 'acme', replicas: 2, reserved: { cpuMilli: 1000, memoryMb: 1024 }, cpuMilli: 500, memoryMb: 512 });
      // beta: 1 replica of 250m and 256 MB for 1 hour, from the second hour.
      if (minute >= 60 && minute < 120) samples.push({ at, kind: 'container', subject: 'container-beta', client: 'beta', replicas: 1, reserved: { cpuMilli: 250, memoryMb: 256 }, cpuMilli: 100, memoryMb: 128 });
      // Two nodes of pool application for 3 hours; a container of no client counts for none.
      if (minute < 180) samples.push({ at, kind: 'node', subject: 'i-1', pool: 'application', cpuMilli: 0, memoryMb: 0 }, { at, kind: 'node', subject: 'i-2', pool: 'application', cpuMilli: 0, memoryMb: 0 }, { at, kind: 'container', subject: 'orphan', cpuMilli: 1, memoryMb: 1 });
      return samples;
    }; // prettier-ignore
    const store = SqliteStore.open(':memory:');
    const meter = new UsageMeter(MIN);
    for (let at = T; at <= T + 240 * MIN; at += MIN) await store.addUsage(meter.measure(at, samplesAt(at)));
    // The autoscaler started 2 nodes for acme's container.
    await store.addUsage([usageRow(T, 'pool', 'application', { nodesStarted: 2 }), usageRow(T, 'client', 'acme', { nodesStarted: 2 })]);
    const report = usageReport({ totals: await store.usage({ since: T, until: T + 4 * 60 * MIN }), since: T, until: T + 4 * 60 * MIN });
    expect(report.clients).toEqual([
      { client: 'acme', containerHours: 6, cpuReservedHours: 3, cpuUsedHours: 1.5, memoryReservedGbHours: 3, memoryUsedGbHours: 1.5, nodesStarted: 2 },
      { client: 'beta', containerHours: 1, cpuReservedHours: 0.25, cpuUsedHours: 0.1, memoryReservedGbHours: 0.25, memoryUsedGbHours: 0.125, nodesStarted: 0 },
    ]);
    expect(report.pools).toEqual([{ pool: 'application', nodeHours: 6, nodesStarted: 2 }]);
    expect(report.totals).toMatchObject({ containerHours: 7, cpuReservedHours: 3.25, nodesStarted: 2, nodeHours: 6 });
    // A window counts only the hours in it.
    const first = usageReport({ totals: await store.usage({ since: T, until: T + 60 * MIN }), since: T, until: T + 60 * MIN, client: 'acme' });
    expect(first.clients).toEqual([expect.objectContaining({ client: 'acme', containerHours: 2 })]);
    await store.close();
  }); // prettier-ignore

  it('widens a window to the whole hours its ends fall in', () => {
    expect(reportWindow(T + 42 * MIN, T + 2 * 60 * MIN + 1)).toEqual({ since: T, until: T + 3 * 60 * MIN });
    expect(reportWindow(T, T + 60 * MIN)).toEqual({ since: T, until: T + 60 * MIN });
  }); // prettier-ignore
});
