/** The latest measured usage, as list and info show it beside what is reserved. */
import type { ContainerRecord, InstanceRecord } from '../store/store.js';

export interface Usage {
  /** Summed over the replicas measured; undefined until a rate is known. */
  cpuMilli: number | undefined;
  memoryMb: number;
  replicas: number;
  /** When the newest of those readings was taken. */
  measuredAt: number;
}

/** Usage of one container (Swarm service), summed over its measured replicas. */
export function serviceUsage(records: ContainerRecord[], service: string): Usage | undefined {
  const mine = records.filter((r) => r.service === service);
  if (mine.length === 0) return undefined;
  const known = mine.filter((r) => r.cpuMilli !== undefined);
  return {
    cpuMilli:
      known.length === 0 ? undefined : round(known.reduce((n, r) => n + (r.cpuMilli ?? 0), 0)),
    memoryMb: round(mine.reduce((n, r) => n + r.memoryMb, 0)),
    replicas: mine.length,
    measuredAt: Math.max(...mine.map((r) => r.lastSeen)),
  };
}

export function instanceUsage(
  records: InstanceRecord[],
  instance: string,
): Pick<InstanceRecord, 'used' | 'stale' | 'lastSeen'> | undefined {
  const record = records.find((r) => r.name === instance);
  return record && { used: record.used, stale: record.stale, lastSeen: record.lastSeen };
}

/** "12.5/100" — used against a reference, '-' where not measured. */
export function usedOf(used: number | undefined, of: number): string {
  return `${used === undefined ? '-' : String(round(used))}/${of}`;
}

const round = (value: number) => Math.round(value * 10) / 10;
