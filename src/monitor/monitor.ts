/**
 * The monitor: refreshes the store from the manager and every node's engine, once
 * or on a cron schedule. A scheduled run never overlaps the one before (node-cron's
 * noOverlap: the tick is skipped and said so), and a failed run is reported and the
 * next one tried: nothing in a refresh stops the loop. The manager's monitor also
 * meters usage (what reports read): one meter only, so nothing is counted twice.
 */
import { isCronExpression, onSchedule, type CronSchedule } from '../host/cron-schedule.js';
import { configError, messageOf } from '../errors.js';
import type { SwarmClient } from '../swarm/index.js';
import type { MetricSample, Store, UsageRow } from '../store/store.js';
import { buildRefresh, type StaleNode } from './build-refresh.js';
import { readNodes, type EngineFor } from './node-readings.js';
import { UsageMeter } from './usage-meter.js';

export interface MonitorOptions {
  concurrency: number;
  nodeTimeoutMs: number;
}

export interface RefreshReport {
  at: number;
  durationMs: number;
  nodes: number;
  containers: number;
  stale: StaleNode[];
}

export interface MonitorDeps {
  manager: SwarmClient;
  engineFor: EngineFor;
  store: Store;
  options: MonitorOptions;
  now?: () => number;
}

export class Monitor {
  private readonly deps: MonitorDeps;
  private readonly now: () => number;
  /** Nodes that were stale at the last refresh: events are recorded on changes only. */
  private staleBefore = new Set<string>();
  private current: Promise<unknown> = Promise.resolve();
  private meter: UsageMeter | undefined;

  constructor(deps: MonitorDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
  }

  async refresh(): Promise<RefreshReport> {
    const run = this.refreshNow();
    this.current = run.catch(() => undefined);
    return run;
  }

  /** Resolves once the refresh under way, if any, has ended. */
  async idle(): Promise<void> {
    await this.current;
  }

  private async refreshNow(): Promise<RefreshReport> {
    const { manager, store, engineFor, options } = this.deps;
    const started = this.now();
    const [nodes, tasks, services, instances, containers] = await Promise.all([
      manager.listNodes(),
      manager.listTasks({ 'desired-state': ['running'] }),
      // Every service: a stack's too, so its replicas can follow its load.
      manager.listServices(),
      store.instances(),
      store.containers(),
    ]);
    const asked = nodes.filter((n) => n.role === 'worker' && n.state === 'ready');
    const readings = await readNodes(asked, engineFor, {
      ...options,
      services: new Set(services.map((s) => s.name)),
    });
    const at = this.now();
    const { refresh, stale } = buildRefresh({
      at,
      nodes,
      tasks,
      services,
      readings,
      previous: { instances, containers },
    });
    await store.writeRefresh({ ...refresh, usage: await this.usageUntil(at, refresh.samples) });
    await this.recordStaleChanges(
      at,
      stale,
      instances.filter((i) => i.stale).map((i) => i.name),
      refresh.instances.map((i) => i.name),
    );
    return {
      at,
      durationMs: this.now() - started,
      nodes: refresh.instances.length,
      containers: refresh.containers.length,
      stale,
    };
  }

  /**
   * Refresh on `expression` until the task is stopped. Each report, skipped tick and
   * failure goes to the callbacks; none of them ends the loop.
   */
  schedule(
    expression: string,
    on: {
      report: (report: RefreshReport) => void;
      failure: (message: string) => void;
      skipped: () => void;
    },
    options: { meterUsage?: boolean } = {},
  ): CronSchedule {
    checkSchedule(expression);
    const refreshes = onSchedule(
      expression,
      'micado-monitor',
      async () => {
        try {
          on.report(await this.refresh());
        } catch (err) {
          on.failure(messageOf(err));
        }
      },
      on.skipped,
    );
    if (options.meterUsage && refreshes.intervalMs !== undefined)
      this.meterUsage(refreshes.intervalMs);
    return refreshes;
  }

  /** From now on, add each refresh's usage to the store's hours (refreshes `intervalMs` apart). */
  meterUsage(intervalMs: number): void {
    this.meter = new UsageMeter(intervalMs);
  }

  /**
   * The usage since the refresh before, when metering. A meter made afresh (a manager
   * restarted) starts from the last refresh the store holds, if recent enough to count.
   */
  private async usageUntil(at: number, samples: MetricSample[]): Promise<UsageRow[]> {
    const meter = this.meter;
    if (!meter) return [];
    if (!meter.started) {
      const recent = await this.deps.store.history({ since: at - 2 * meter.intervalMs });
      const lastAt = recent.reduce((latest, s) => Math.max(latest, s.at), 0);
      if (recent.length > 0 && lastAt < at) meter.measure(lastAt, recent.filter((s) => s.at === lastAt)); // prettier-ignore
    }
    return meter.measure(at, samples);
  }

  private async recordStaleChanges(
    at: number,
    stale: StaleNode[],
    storedStale: string[],
    present: string[],
  ): Promise<void> {
    const before = new Set([...this.staleBefore, ...storedStale]);
    const now = new Set(stale.map((s) => s.instance));
    const answering = present.filter((i) => !now.has(i));
    this.staleBefore = now;
    for (const s of stale.filter((s) => !before.has(s.instance))) {
      await this.deps.store.recordEvent({
        at,
        actor: 'monitor',
        action: 'node-stale',
        subject: s.instance,
        message: `node ${s.instance} did not answer: ${s.reason}`,
      });
    }
    for (const instance of answering.filter((i) => before.has(i))) {
      await this.deps.store.recordEvent({
        at,
        actor: 'monitor',
        action: 'node-answering',
        subject: instance,
        message: `node ${instance} answers again`,
      });
    }
  }
}

/** One clear line for a schedule node-cron cannot read. */
export function checkSchedule(expression: string): void {
  if (!isCronExpression(expression)) {
    throw configError(
      `monitor.schedule '${expression}' is not a cron expression: use e.g. '* * * * *' (every minute) or '*/30 * * * * *' (every 30 s)`,
    );
  }
}
