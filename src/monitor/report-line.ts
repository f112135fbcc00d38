import type { RefreshReport } from './monitor.js';

/** One refresh in a line: when, how much, how long, and which nodes were stale. */
export function reportLine(report: RefreshReport): string {
  const time = new Date(report.at).toISOString().slice(11, 19);
  const stale =
    report.stale.length === 0
      ? ''
      : `; stale: ${report.stale.map((s) => `${s.instance} (${s.reason})`).join(', ')}`;
  return `${time} refreshed ${plural(report.nodes, 'node')}, ${plural(report.containers, 'container')} in ${(report.durationMs / 1000).toFixed(2)} s${stale}`;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
