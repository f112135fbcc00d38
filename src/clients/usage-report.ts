/**
 * Who used what: per client, container-hours, CPU and memory reserved and used, and the
 * nodes the autoscaler started for its containers; per pool, node-hours; totals. Read
 * from the hourly usage the monitor keeps (see monitor/usage-meter.ts), so a report
 * counts whole hours: its window is widened to the hours its ends fall in.
 */
import { HOUR_MS } from '../store/usage-grains.js';
import type { UsageTotal } from '../store/store.js';

export interface ClientUsageHours {
  client: string;
  containerHours: number;
  cpuReservedHours: number;
  cpuUsedHours: number;
  memoryReservedGbHours: number;
  memoryUsedGbHours: number;
  /** Nodes the autoscaler started for its containers (one started for several clients' counts for each). */
  nodesStarted: number;
}

export interface UsageReport {
  since: number;
  until: number;
  clients: ClientUsageHours[];
  pools: { pool: string; nodeHours: number; nodesStarted: number }[];
  totals: Omit<ClientUsageHours, 'client'> & { nodeHours: number };
}

/** Milliseconds (times a unit) as hours, to a ten-thousandth: a report's precision. */
const hours = (ms: number) => Math.round((ms / HOUR_MS) * 10_000) / 10_000;

/** The whole hours a report over [since, until) counts: from since's hour to until's end. */
export function reportWindow(since: number, until: number): { since: number; until: number } {
  return {
    since: Math.floor(since / HOUR_MS) * HOUR_MS,
    until: Math.ceil(until / HOUR_MS) * HOUR_MS,
  };
}

/** The report of each owner's usage summed over the window (the store sums the hours). */
export function usageReport(input: {
  totals: UsageTotal[];
  since: number;
  until: number;
  client?: string;
}): UsageReport {
  const clients = input.totals
    .filter((t) => t.kind === 'client')
    .filter((t) => input.client === undefined || t.name === input.client)
    .map((t): ClientUsageHours => ({
      client: t.name,
      containerHours: hours(t.containerMs),
      cpuReservedHours: hours(t.cpuReservedMilliMs / 1000),
      cpuUsedHours: hours(t.cpuUsedMilliMs / 1000),
      memoryReservedGbHours: hours(t.memoryReservedMbMs / 1024),
      memoryUsedGbHours: hours(t.memoryUsedMbMs / 1024),
      nodesStarted: t.nodesStarted,
    }))
    .sort((a, b) => a.client.localeCompare(b.client));
  const pools = input.totals
    .filter((t) => t.kind === 'pool')
    .map((t) => ({ pool: t.name, nodeHours: hours(t.nodeMs), nodesStarted: t.nodesStarted }))
    .sort((a, b) => a.pool.localeCompare(b.pool));
  const sum = (figures: number[]) =>
    Math.round(figures.reduce((total, n) => total + n, 0) * 10_000) / 10_000;
  const total = (key: keyof Omit<ClientUsageHours, 'client'>) => sum(clients.map((c) => c[key]));
  return {
    since: input.since,
    until: input.until,
    clients,
    pools,
    totals: {
      containerHours: total('containerHours'),
      cpuReservedHours: total('cpuReservedHours'),
      cpuUsedHours: total('cpuUsedHours'),
      memoryReservedGbHours: total('memoryReservedGbHours'),
      memoryUsedGbHours: total('memoryUsedGbHours'),
      // Of one client, the nodes started for it; of all, each node once (by its pool).
      nodesStarted:
        input.client === undefined ? sum(pools.map((p) => p.nodesStarted)) : total('nodesStarted'),
      nodeHours: sum(pools.map((p) => p.nodeHours)),
    },
  };
}
