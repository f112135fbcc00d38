/**
 * `micado report`: who used what over a window (30 days unless told, in whole hours),
 * from the hourly usage the manager keeps: per client, container-hours, CPU and memory
 * reserved and used, nodes started for it; node-hours and nodes started per pool;
 * totals. As a table, JSON or CSV.
 */
import { clientOf, containerNameFor } from '../../containers/container-names.js';
import { usageError } from '../../errors.js';
import { reportWindow, usageReport, type UsageReport } from '../../clients/usage-report.js';
import { openExistingStore } from '../../store/open-store.js';
import type { CommandContext } from '../context.js';
import type { ReportOptions } from './actions.js';
import { parseSince } from './monitor-actions.js';

const DEFAULT_SINCE = '30d';

export async function reportAction(
  { config, output }: CommandContext,
  options: ReportOptions,
): Promise<void> {
  const now = Date.now();
  const asked = parseSince(options.since ?? DEFAULT_SINCE, now);
  const askedUntil = options.until === undefined ? now : parseSince(options.until, now, '--until');
  if (askedUntil <= asked)
    throw usageError(`the report's window ends (${new Date(askedUntil).toISOString()}) before it starts (${new Date(asked).toISOString()})`); // prettier-ignore
  if (options.json && options.csv) throw usageError('give --json or --csv, not both');
  const client =
    options.client === undefined ? undefined : clientOf(containerNameFor(options.client));
  const { since, until } = reportWindow(asked, askedUntil);
  const store = await openExistingStore(config);
  const totals = store ? await store.usage({ since, until }).finally(() => store.close()) : [];
  const report = usageReport({ totals, since, until, client });
  if (options.json) return output.json(report);
  if (options.csv) return output.line(csvOf(report));
  const figures = (r: Omit<UsageReport['clients'][number], 'client'>) => [
    r.containerHours, r.cpuReservedHours, r.cpuUsedHours, r.memoryReservedGbHours, r.memoryUsedGbHours,
  ].map((n) => n.toFixed(2)); // prettier-ignore
  output.line(`usage from ${new Date(since).toISOString()} to ${new Date(until).toISOString()}`);
  output.table(
    ['CLIENT', 'CONTAINER h', 'CPU rsv h', 'CPU used h', 'MEM rsv GB·h', 'MEM used GB·h', 'NODES STARTED'],
    [
      ...report.clients.map((c) => [c.client, ...figures(c), String(c.nodesStarted)]),
      ['total', ...figures(report.totals), String(report.totals.nodesStarted)],
    ],
  ); // prettier-ignore
  output.line('');
  output.table(
    ['POOL', 'NODE h', 'NODES STARTED'],
    [
      ...report.pools.map((p) => [p.pool, p.nodeHours.toFixed(2), String(p.nodesStarted)]),
      ['total', report.totals.nodeHours.toFixed(2), String(report.totals.nodesStarted)],
    ],
  );
}

/** One table: a row per client, the totals, then a row per pool. */
function csvOf(report: UsageReport): string {
  const header = 'kind,name,container_hours,cpu_reserved_hours,cpu_used_hours,memory_reserved_gb_hours,memory_used_gb_hours,nodes_started,node_hours'; // prettier-ignore
  const row = (kind: string, name: string, r: Omit<UsageReport['clients'][number], 'client'>, nodeHours = '') =>
    [kind, name, r.containerHours, r.cpuReservedHours, r.cpuUsedHours, r.memoryReservedGbHours, r.memoryUsedGbHours, r.nodesStarted, nodeHours].join(','); // prettier-ignore
  const zero = { containerHours: 0, cpuReservedHours: 0, cpuUsedHours: 0, memoryReservedGbHours: 0, memoryUsedGbHours: 0, nodesStarted: 0 }; // prettier-ignore
  return [
    header,
    ...report.clients.map((c) => row('client', c.client, c)),
    row('total', '', report.totals, String(report.totals.nodeHours)),
    ...report.pools.map((p) =>
      row('pool', p.pool, { ...zero, nodesStarted: p.nodesStarted }, String(p.nodeHours)),
    ),
  ].join('\n');
}
