/**
 * A launch's quota check as the CLI makes it, on a store of 1,000 clients and a swarm
 * of 10,000 containers (simulated: the services as the engine lists them), next to the
 * check alone on the same data: reading the client's limits (opening the store) and
 * counting its use over every container.
 *
 * A 30-day report over 10,000 containers: their samples metered into hourly usage as
 * the monitor does, then the report read as the CLI does, beside reading the same
 * month's raw samples (what a report would cost without the hourly rows); and what
 * metering adds to one refresh of 10,000 containers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientUsage, quotaProblem } from '../src/clients/client-quota.js';
import { clientLimits } from '../src/cli/actions/client-limits-of.js';
import { reportWindow, usageReport } from '../src/clients/usage-report.js';
import { UsageMeter } from '../src/monitor/usage-meter.js';
import type { MetricSample } from '../src/store/store.js';
import { DEFAULT_CONFIG } from '../src/config/config.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { SwarmService } from '../src/swarm/index.js';
import { median, ms } from './measure.js';

export async function benchClients(): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'micado-bench-clients-'));
  try {
    const store = SqliteStore.open(join(dir, 'micado.db'));
    for (let i = 0; i < 1000; i++)
      await store.putClient({ name: `c${i}`, domain: undefined, membership: 'bench', limits: { containers: 20, replicas: 50, cpuMilli: 8000, memoryMb: 16_384 }, createdAt: 0, updatedAt: 0 }); // prettier-ignore
    await store.close();
    const services: SwarmService[] = Array.from({ length: 10_000 }, (_, i) => ({
      id: `s${i}`, version: 1, name: `container-x${i}`, image: 'img', replicas: 1 + (i % 3),
      labels: { 'micado.container': `container-x${i}`, 'micado.client': `c${i % 1000}` },
      reservations: { 'micado.cpu_milli': 100, 'micado.mem_mb': 64 }, constraints: [], ports: [],
      command: [], args: [], env: [], createdAt: '', updatedAt: '',
    })); // prettier-ignore
    const config = { ...DEFAULT_CONFIG, stateDir: dir };
    const request = { containers: 1, replicas: 1, each: { cpuMilli: 100, memoryMb: 64 } };
    const whole: number[] = [];
    const check: number[] = [];
    for (let i = 0; i < 20; i++) {
      const client = `c${(i * 37) % 1000}`;
      const started = performance.now();
      const limits = await clientLimits(config, client);
      quotaProblem(client, limits, clientUsage(services, client), request);
      whole.push(performance.now() - started);
      const alone = performance.now();
      quotaProblem(client, limits, clientUsage(services, client), request);
      check.push(performance.now() - alone);
    }
    // A 30-day report over 10,000 containers: a sample of each every 6 hours (1.2 M rows).
    const reportStore = SqliteStore.open(join(dir, 'report.db'), { historyMs: 40 * 86_400_000, eventsMs: 40 * 86_400_000, usageMs: 40 * 86_400_000 }); // prettier-ignore
    const samplesAt = (at: number): MetricSample[] =>
      Array.from({ length: 10_000 }, (_, i) => ({ at, kind: 'container' as const, subject: `container-x${i}`, client: `c${i % 1000}`, replicas: 1, reserved: { cpuMilli: 100, memoryMb: 64 }, cpuMilli: 20, memoryMb: 30 })); // prettier-ignore
    const now = Date.now();
    const start = now - 30 * 86_400_000;
    const meter = new UsageMeter(6 * 3_600_000);
    for (let at = start; at < now; at += 6 * 3_600_000) {
      const samples = samplesAt(at);
      await reportStore.writeRefresh({ at, instances: [], containers: [], staleInstances: [], samples, usage: meter.measure(at, samples) }); // prettier-ignore
    }
    const reports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const began = performance.now();
      const window = reportWindow(start, now);
      const report = usageReport({ totals: await reportStore.usage(window), ...window });
      reports.push(performance.now() - began);
      if (report.clients.length !== 1000) throw new Error('the report lost clients');
      if (Math.abs(report.totals.containerHours - 10_000 * (30 * 24 - 6)) > 1) throw new Error(`the report counted ${report.totals.containerHours} container-hours`); // prettier-ignore
    }
    const rawStarted = performance.now();
    const rows = (await reportStore.history({ since: start })).length;
    const raw = performance.now() - rawStarted;
    // One refresh of the same 10,000 containers a minute later, written with its usage and without.
    const metered: number[] = [];
    const plain: number[] = [];
    const minute = new UsageMeter(60_000);
    minute.measure(now, samplesAt(now));
    for (let i = 1; i <= 5; i++) {
      const at = now + i * 60_000;
      const samples = samplesAt(at);
      let began = performance.now();
      await reportStore.writeRefresh({ at, instances: [], containers: [], staleInstances: [], samples, usage: minute.measure(at, samples) }); // prettier-ignore
      metered.push(performance.now() - began);
      began = performance.now();
      await reportStore.writeRefresh({ at: at + 1, instances: [], containers: [], staleInstances: [], samples }); // prettier-ignore
      plain.push(performance.now() - began);
    }
    await reportStore.close();
    return [
      ['30-day report over 10,000 containers, from the usage kept by day and hour (SQLite, median of 3)', ms(median(reports)), 'goal < 1000 ms'], // prettier-ignore
      [`  reading the month's raw samples instead (${(rows / 1e6).toFixed(1)} M)`, ms(raw), `report/raw ${(median(reports) / raw).toFixed(3)}`], // prettier-ignore
      ['a refresh of 10,000 containers written with its usage (median of 5)', ms(median(metered)), `metered/plain ${(median(metered) / median(plain)).toFixed(2)}`], // prettier-ignore
      ['  the same refresh without', ms(median(plain)), ''],
      ['quota check at launch: 1,000 clients in the store, 10,000 containers (median of 20)', ms(median(whole)), 'goal < 10 ms; the store opened and read each time'], // prettier-ignore
      ['  the check alone, over the 10,000 containers', `${median(check).toFixed(2)} ms`, ''],
    ]; // prettier-ignore
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
