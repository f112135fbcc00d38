/**
 * Usage measured as the monitor goes: each refresh's samples stand for the time until
 * the next refresh, at most two refresh intervals (a refresh skipped still counts; a
 * manager that was down for longer does not invent what it did not see). That time is
 * added, per client and per pool, to the rows of the hours it falls in, which is all a
 * report reads: a month is a row per owner and hour, however often the monitor ran.
 */
import type { MetricSample, UsageFigures, UsageRow } from '../store/store.js';
import { HOUR_MS } from '../store/usage-grains.js';
import type { SwarmService } from '../swarm/index.js';
import { CONTAINER_LABEL } from '../swarm/labels.js';

const NO_USAGE: UsageFigures = {
  containerMs: 0,
  cpuReservedMilliMs: 0,
  cpuUsedMilliMs: 0,
  memoryReservedMbMs: 0,
  memoryUsedMbMs: 0,
  nodeMs: 0,
  nodesStarted: 0,
};

/** One hour's row of usage for an owner, with the given figures and zero for the rest. */
export function usageRow(
  hour: number,
  kind: UsageRow['kind'],
  name: string,
  figures: Partial<UsageFigures> = {},
): UsageRow {
  return { hour, kind, name, ...NO_USAGE, ...figures };
}

/**
 * Nodes started at `now`, as reports count them: on their pool's row, and on the row
 * of each client whose containers (`request.for`) they were started for.
 */
export function nodesStartedRows(
  now: number,
  request: { pool: string; count: number; for: string[] },
  services: SwarmService[],
): UsageRow[] {
  const clients = new Set(
    services
      .filter((s) => request.for.includes(s.name))
      .flatMap((s) => s.labels[CONTAINER_LABEL.client] ?? []),
  );
  const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
  const started = { nodesStarted: request.count };
  return [
    usageRow(hour, 'pool', request.pool, started),
    ...[...clients].map((client) => usageRow(hour, 'client', client, started)),
  ];
}

/** What `samples` stand for over [from, to), split at the hours it crosses. */
export function usageRows(samples: MetricSample[], from: number, to: number): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  for (let start = from; start < to;) {
    const hour = Math.floor(start / HOUR_MS) * HOUR_MS;
    const end = Math.min(to, hour + HOUR_MS);
    const ms = end - start;
    for (const sample of samples) {
      const owner = ownerOf(sample);
      if (!owner) continue;
      const key = `${hour}/${owner.kind}/${owner.name}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = usageRow(hour, owner.kind, owner.name)));
      if (sample.kind === 'node') {
        row.nodeMs += ms;
        continue;
      }
      row.containerMs += ms * (sample.replicas ?? 1);
      row.cpuReservedMilliMs += ms * (sample.reserved?.cpuMilli ?? 0);
      row.memoryReservedMbMs += ms * (sample.reserved?.memoryMb ?? 0);
      row.cpuUsedMilliMs += ms * (sample.cpuMilli ?? 0);
      row.memoryUsedMbMs += ms * sample.memoryMb;
    }
    start = end;
  }
  return [...rows.values()];
}

/** A node's usage is its pool's; a container's its client's (none without one). */
function ownerOf(sample: MetricSample): { kind: UsageRow['kind']; name: string } | undefined {
  if (sample.kind === 'node') return { kind: 'pool', name: sample.pool ?? '-' };
  return sample.client ? { kind: 'client', name: sample.client } : undefined;
}

/** Turns each refresh into the usage of the refresh before it. */
export class UsageMeter {
  private last: { at: number; samples: MetricSample[] } | undefined;
  readonly intervalMs: number;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** Whether a refresh has been seen (a meter made afresh starts from the store's last). */
  get started(): boolean {
    return this.last !== undefined;
  }

  /** The usage of the refresh before this one, up to this one's time. */
  measure(at: number, samples: MetricSample[]): UsageRow[] {
    const before = this.last;
    this.last = { at, samples };
    if (!before || at <= before.at) return [];
    return usageRows(before.samples, before.at, Math.min(at, before.at + 2 * this.intervalMs));
  }
}
