/**
 * `micado manager`: the long-running manager. The reconcile loop, the monitor's cron
 * and /healthz and /metrics, until SIGTERM or SIGINT.
 */
import { Autoscaler } from '../../autoscaler/autoscaler.js';
import { Provisioner } from '../../autoscaler/provisioner.js';
import { serveStatus } from '../../autoscaler/status-server.js';
import { nodeEngineOf } from '../../nodes/node-engine.js';
import { clusterLayout } from '../../cluster/cluster-layout.js';
import { messageOf } from '../../errors.js';
import { checkSchedule, Monitor } from '../../monitor/monitor.js';
import { openStore } from '../../store/open-store.js';
import type { CommandContext } from '../context.js';
import type { ManagerOptions } from './actions.js';
import { connectManager } from './manager-connection.js';
import { reportLine } from './monitor-actions.js';
import { stopSignal } from './signals.js';

export async function managerAction(
  { config, output, status }: CommandContext,
  options: ManagerOptions,
): Promise<void> {
  if (options.dryRun) config.autoscaler.dryRun = true;
  if (options.listen) config.manager.listen = options.listen;
  checkSchedule(config.monitor.schedule);
  const layout = clusterLayout(config);
  const manager = connectManager(layout);
  const store = await openStore(config);
  const log = (line: string) => output.line(`${new Date().toISOString()} ${line}`);
  const stopped = stopSignal();
  try {
    const provisioner = new Provisioner({ manager, layout, config, store, now: Date.now });
    const autoscaler = new Autoscaler({ manager, config, store, provisioner, log });
    const staleAfter = 3 * config.autoscaler.scanIntervalMs + 5_000;
    const server = await serveStatus(config.manager.listen, {
      unhealthy: () => {
        if (Date.now() - autoscaler.lastCycleOk <= staleAfter) return undefined;
        return autoscaler.lastError ?? `no reconcile cycle has finished in ${staleAfter / 1000} s`;
      },
      metrics: () => autoscaler.metrics.render(),
    });
    const monitor = new Monitor({
      manager,
      store,
      engineFor: (node) => nodeEngineOf(config, node, { timeoutMs: config.monitor.nodeTimeoutMs }),
      options: config.monitor,
    });
    const task = monitor.schedule(config.monitor.schedule, {
      report: (report) => log(`monitor: ${reportLine(report)}`),
      failure: (message) => log(`monitor: refresh failed: ${message}`),
      skipped: () => log('monitor: the previous refresh is still running: tick skipped'),
    });
    await autoscaler.start();
    const pools = Object.entries(config.pools)
      .map(([name, p]) => `${name} (${p.driver} ${p.flavour}, ${p.min}-${p.max})`)
      .join(', ');
    log(
      `manager up${config.autoscaler.dryRun ? ' in dry-run' : ''}: pools ${pools || 'none'}; ` +
        `store ${store.description}; http://${config.manager.listen}/metrics`,
    );
    const signal = await stopped;
    log(`${signal}: stopping`);
    server.close();
    await task.destroy();
    await autoscaler.stop();
    await monitor.idle();
    // Node starts under way are left: the ledger has them, and the next manager resumes them.
    status.exitWhenDone = true;
    log('manager stopped');
  } catch (err) {
    log(`manager failed: ${messageOf(err)}`);
    throw err;
  } finally {
    await store.close().catch(() => undefined);
  }
}
