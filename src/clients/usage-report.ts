/**
 * Who used what, from the monitor's samples: per client, container-hours, CPU and
 * memory reserved and used; per pool, node-hours; and the nodes the autoscaler started
 * for each client's containers. Pure: the store's samples and events in, figures out.
 *
 * Each sample stands for the time until its subject's next one, at most two refreshes
 * (a refresh missed still counts; a container stopped for longer does not), and the
 * last one for one refresh. The refresh interval is read off the samples themselves
 * (their median spacing), so a report needs no schedule to be right.
 */
import type { EventRecord, MetricSample } from '../store/store.js';

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
  pools: { pool: string; nodeHours: number }[];
  totals: Omit<ClientUsageHours, 'client'> & { nodeHours: number };
}

const HOUR = 3_600_000;
/** Milliseconds (times a unit) as hours, to a ten-thousandth: a report's precision. */
const hours = (ms: number) => Math.round((ms / HOUR) * 10_000) / 10_000;
const FALLBACK_INTERVAL_MS = 60_000;

export function usageReport(input: {
  samples: MetricSample[];
  events: EventRecord[];
  since: number;
  until: number;
  client?: string;
}): UsageReport {
  const { since, until } = input;
  const interval = refreshInterval(input.samples);
  const clients = new Map<string, ClientUsageHours>();
  const pools = new Map<string, number>();
  const clientOf = new Map<string, string>();
  const row = (client: string) => {
    let found = clients.get(client);
    if (!found) {
      found = { client, containerHours: 0, cpuReservedHours: 0, cpuUsedHours: 0, memoryReservedGbHours: 0, memoryUsedGbHours: 0, nodesStarted: 0 }; // prettier-ignore
      clients.set(client, found);
    }
    return found;
  };

  // Sums are kept in milliseconds times the sample's own units (whole numbers, so they
  // add up exactly) and turned into hours once, at the end.
  for (const [sample, ms] of spans(input.samples, interval, since, until)) {
    if (sample.kind === 'node') {
      const pool = sample.pool ?? '-';
      pools.set(pool, (pools.get(pool) ?? 0) + ms);
      continue;
    }
    if (!sample.client) continue;
    clientOf.set(sample.subject, sample.client);
    const r = row(sample.client);
    r.containerHours += ms * (sample.replicas ?? 1);
    r.cpuReservedHours += ms * (sample.reserved?.cpuMilli ?? 0);
    r.memoryReservedGbHours += ms * (sample.reserved?.memoryMb ?? 0);
    r.cpuUsedHours += ms * (sample.cpuMilli ?? 0);
    r.memoryUsedGbHours += ms * sample.memoryMb;
  }
  for (const r of clients.values()) {
    r.containerHours = hours(r.containerHours);
    r.cpuReservedHours = hours(r.cpuReservedHours / 1000);
    r.memoryReservedGbHours = hours(r.memoryReservedGbHours / 1024);
    r.cpuUsedHours = hours(r.cpuUsedHours / 1000);
    r.memoryUsedGbHours = hours(r.memoryUsedGbHours / 1024);
  }
  for (const [pool, ms] of pools) pools.set(pool, hours(ms));

  let nodesStarted = 0;
  for (const event of input.events) {
    if (event.action !== 'scale-up' || event.at < since || event.at >= until) continue;
    const count = Number(/^starting (\d+) /.exec(event.message)?.[1] ?? 0);
    nodesStarted += count;
    const named = /\bfor (container-[a-z0-9-]+(?:, container-[a-z0-9-]+)*)$/.exec(event.message);
    const owners = new Set((named?.[1] ?? '').split(', ').map((c) => clientOf.get(c)));
    for (const owner of owners) if (owner) row(owner).nodesStarted += count;
  }

  const shown = [...clients.values()]
    .filter((c) => input.client === undefined || c.client === input.client)
    .sort((a, b) => a.client.localeCompare(b.client));
  const sum = (key: keyof Omit<ClientUsageHours, 'client'>) =>
    Math.round(shown.reduce((total, c) => total + c[key], 0) * 10_000) / 10_000;
  const poolRows = [...pools.entries()]
    .map(([pool, nodeHours]) => ({ pool, nodeHours }))
    .sort((a, b) => a.pool.localeCompare(b.pool));
  return {
    since,
    until,
    clients: shown,
    pools: poolRows,
    totals: {
      containerHours: sum('containerHours'),
      cpuReservedHours: sum('cpuReservedHours'),
      cpuUsedHours: sum('cpuUsedHours'),
      memoryReservedGbHours: sum('memoryReservedGbHours'),
      memoryUsedGbHours: sum('memoryUsedGbHours'),
      nodesStarted: input.client === undefined ? nodesStarted : sum('nodesStarted'),
      nodeHours: poolRows.reduce((total, p) => total + p.nodeHours, 0),
    },
  };
}

/** Each sample with the milliseconds of the window it stands for. */
function spans(
  samples: MetricSample[],
  interval: number,
  since: number,
  until: number,
): [MetricSample, number][] {
  const bySubject = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const key = `${s.kind}/${s.subject}`;
    const series = bySubject.get(key);
    if (series) series.push(s);
    else bySubject.set(key, [s]);
  }
  const out: [MetricSample, number][] = [];
  for (const series of bySubject.values()) {
    series.sort((a, b) => a.at - b.at);
    series.forEach((sample, i) => {
      const next = series[i + 1];
      const end = sample.at + (next ? Math.min(next.at - sample.at, 2 * interval) : interval);
      const ms = Math.min(end, until) - Math.max(sample.at, since);
      if (ms > 0) out.push([sample, ms]);
    });
  }
  return out;
}

/** The monitor's refresh interval, read off the samples: their median spacing. */
function refreshInterval(samples: MetricSample[]): number {
  const times = [...new Set(samples.map((s) => s.at))].sort((a, b) => a - b);
  if (times.length < 2) return FALLBACK_INTERVAL_MS;
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  if (gaps.length === 0) return FALLBACK_INTERVAL_MS;
  return gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
}
