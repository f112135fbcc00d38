import { describe, expect, it } from 'vitest';
import type { MetricSample } from '../store/store.js';
import { HOUR_MS } from '../store/usage-grains.js';
import { UsageMeter, usageRow, usageRows } from './usage-meter.js';
import { scheduleInterval } from '../host/cron-schedule.js';

const T = Date.UTC(2026, 10, 1);
const MIN = 60_000;
const web = (at: number): MetricSample => ({ at, kind: 'container', subject: 'web', client: 'acme', replicas: 2, reserved: { cpuMilli: 200, memoryMb: 128 }, cpuMilli: 50, memoryMb: 40 }); // prettier-ignore
const node = (at: number): MetricSample => ({ at, kind: 'node', subject: 'i-1', pool: 'app', cpuMilli: 0, memoryMb: 0 }); // prettier-ignore

describe('usage as the monitor measures it', () => {
  it("splits a span at the hours it crosses, per client and per pool", () => {
    const from = T + HOUR_MS - 10 * MIN;
    expect(usageRows([web(from), node(from)], from, from + 30 * MIN)).toEqual([
      usageRow(T, 'client', 'acme', { containerMs: 2 * 10 * MIN, cpuReservedMilliMs: 200 * 10 * MIN, memoryReservedMbMs: 128 * 10 * MIN, cpuUsedMilliMs: 50 * 10 * MIN, memoryUsedMbMs: 40 * 10 * MIN }),
      usageRow(T, 'pool', 'app', { nodeMs: 10 * MIN }),
      usageRow(T + HOUR_MS, 'client', 'acme', { containerMs: 2 * 20 * MIN, cpuReservedMilliMs: 200 * 20 * MIN, memoryReservedMbMs: 128 * 20 * MIN, cpuUsedMilliMs: 50 * 20 * MIN, memoryUsedMbMs: 40 * 20 * MIN }),
      usageRow(T + HOUR_MS, 'pool', 'app', { nodeMs: 20 * MIN }),
    ]);
  }); // prettier-ignore

  it('counts a refresh until the next, a skipped one too, but never more than two intervals', () => {
    const meter = new UsageMeter(MIN);
    const nodeMs = (rows: ReturnType<UsageMeter['measure']>) =>
      rows.reduce((sum, r) => sum + r.nodeMs, 0);
    expect(meter.measure(T, [node(T)])).toEqual([]);
    expect(nodeMs(meter.measure(T + MIN, [node(T + MIN)]))).toBe(MIN);
    // One tick skipped (the refresh before ran long): both minutes count.
    expect(nodeMs(meter.measure(T + 3 * MIN, [node(T + 3 * MIN)]))).toBe(2 * MIN);
    // The manager was down for an hour: two intervals count, not what it did not see.
    expect(nodeMs(meter.measure(T + 63 * MIN, []))).toBe(2 * MIN);
    // A refresh with nothing in it stands for nothing.
    expect(meter.measure(T + 64 * MIN, [node(T + 64 * MIN)])).toEqual([]);
    // A clock that went back counts nothing.
    expect(meter.measure(T, [])).toEqual([]);
  });

  it("reads a schedule's interval off its next runs", () => {
    const runs = (...seconds: number[]) => seconds.map((s) => new Date(T + s * 1000));
    expect(scheduleInterval(runs(0, 60, 120, 180))).toBe(60_000);
    expect(scheduleInterval(runs(0, 30, 60, 90, 3600))).toBe(30_000);
    expect(scheduleInterval(runs(0))).toBeUndefined();
  });
});
