/** monitor and events: refreshing the store, and reading its events log. */
import { nodeEngineOf } from '../../nodes/node-engine.js';
import { usageError } from '../../errors.js';
import { checkSchedule, Monitor, type RefreshReport } from '../../monitor/monitor.js';
import { reportLine } from '../../monitor/report-line.js';
import { openExistingStore, openStore } from '../../store/open-store.js';
import type { CommandContext } from '../context.js';
import type { Output } from '../output.js';
import type { EventsOptions, MonitorOptions } from './actions.js';
import { managerFor } from './manager-connection.js';
import { stopSignal } from './signals.js';

export async function monitorAction(
  { config, output }: CommandContext,
  options: MonitorOptions,
): Promise<void> {
  if (!options.once) checkSchedule(config.monitor.schedule);
  const { manager } = managerFor(config);
  const store = await openStore(config);
  try {
    const monitor = new Monitor({
      manager,
      store,
      engineFor: (node) => nodeEngineOf(config, node, { timeoutMs: config.monitor.nodeTimeoutMs }),
      options: config.monitor,
    });
    if (options.once) return printReport(output, await monitor.refresh(), options.json);

    const say = (text: string) => (options.json ? undefined : output.line(text));
    say(`monitoring into the ${store.description} on '${config.monitor.schedule}'; Ctrl-C to stop`);
    const stopped = stopSignal();
    // The first refresh runs at once, so the store is fresh without waiting for a tick.
    await monitor.refresh().then(
      (report) => printReport(output, report, options.json),
      (err: unknown) => output.warn(`refresh failed: ${(err as Error).message}`),
    );
    const task = monitor.schedule(config.monitor.schedule, {
      report: (report) => printReport(output, report, options.json),
      failure: (message) =>
        output.warn(`refresh failed: ${message}; trying again at the next tick`),
      skipped: () => output.warn('the previous refresh is still running: this tick is skipped'),
    });
    await stopped;
    await task.stop();
    await monitor.idle();
  } finally {
    await store.close();
  }
}

function printReport(output: Output, report: RefreshReport, json = false): void {
  output.line(json ? JSON.stringify(report) : reportLine(report));
}

export async function eventsAction(
  { config, output }: CommandContext,
  options: EventsOptions,
): Promise<void> {
  const since = options.since === undefined ? undefined : parseSince(options.since, Date.now());
  if (options.limit !== undefined && !/^[1-9]\d*$/.test(options.limit)) {
    throw usageError(`invalid --limit '${options.limit}': give a positive number of events`);
  }
  const store = await openExistingStore(config);
  const events = store
    ? await store
        .events({ since, limit: options.limit === undefined ? undefined : Number(options.limit) })
        .finally(() => store.close())
    : [];
  if (options.json) return output.json(events);
  if (events.length === 0) return output.line('no events');
  output.table(
    ['TIME', 'WHO', 'WHAT', 'SUBJECT', 'MESSAGE'],
    events.map((e) => [new Date(e.at).toISOString(), e.actor, e.action, e.subject, e.message]),
  );
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** --since (or another flag's) time: a while ago (30s, 10m, 2h, 7d) or a date-time, as epoch ms. */
export function parseSince(value: string, now: number, flag = '--since'): number {
  const ago = /^(\d+)([smhd])$/.exec(value);
  if (ago) return now - Number(ago[1]) * (UNITS[ago[2] as string] as number);
  const at = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)
    ? Date.parse(value)
    : NaN;
  if (Number.isNaN(at)) {
    throw usageError(
      `invalid ${flag} '${value}': give a while ago (30s, 10m, 2h, 7d) or a time such as 2026-11-22T10:00:00Z`,
    );
  }
  return at;
}
