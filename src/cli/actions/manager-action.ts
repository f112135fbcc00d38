/** `micado manager`: runs the manager daemon in the foreground until SIGTERM or SIGINT. */
import { clusterLayout, swarmEntry } from '../../cluster/cluster-layout.js';
import { registryPushApi } from '../../cluster/private-registry.js';
import { messageOf } from '../../errors.js';
import { runManagerDaemon } from '../../manager/manager-daemon.js';
import { checkSchedule } from '../../monitor/monitor.js';
import { openStore } from '../../store/open-store.js';
import type { CommandContext } from '../context.js';
import type { ManagerOptions } from './actions.js';
import { connectManager } from './manager-connection.js';
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
    await runManagerDaemon(
      {
        config,
        manager,
        store,
        entry: swarmEntry(layout),
        registry: registryPushApi(layout),
        log,
      },
      stopped,
    );
    status.exitWhenDone = true;
    log('manager stopped');
  } catch (err) {
    log(`manager failed: ${messageOf(err)}`);
    throw err;
  } finally {
    await store.close().catch(() => undefined);
  }
}
