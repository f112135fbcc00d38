/** up, down and status of the local cluster. */
import { clusterLayout } from '../../cluster/cluster-layout.js';
import { clusterUp } from '../../cluster/cluster-up.js';
import { clusterDown } from '../../cluster/cluster-down.js';
import { clusterStatus, type ClusterStatus } from '../../cluster/cluster-status.js';
import type { CommandContext } from '../context.js';
import { logEvent } from './event-log.js';
import type { DownOptions, StatusOptions, UpOptions } from './actions.js';

export async function upAction(
  { config, output }: CommandContext,
  options: UpOptions,
): Promise<void> {
  const started = performance.now();
  const progress = options.json ? undefined : output.progress('bringing the cluster up');
  const steps = await clusterUp(clusterLayout(config), (step) =>
    progress?.phase(`${step.component}: ${step.outcome}`),
  ).finally(() => progress?.done());
  const seconds = (performance.now() - started) / 1000;
  if (options.json) return output.json({ cluster: config.cluster.name, steps, seconds });
  output.table(
    ['COMPONENT', 'STATE', 'DETAIL'],
    steps.map((s) => [s.component, s.outcome, s.detail]),
  );
  const made = steps.some((s) => s.outcome === 'made');
  output.line(
    `cluster ${config.cluster.name} is up${made ? '' : ' (it already was)'} in ${seconds.toFixed(1)} s`,
  );
}

export async function downAction(ctx: CommandContext, options: DownOptions): Promise<void> {
  const { config, output } = ctx;
  const progress = options.json ? undefined : output.progress('taking the cluster down');
  const report = await clusterDown(
    clusterLayout(config),
    {
      purge: options.purge ?? false,
      force: options.force ?? false,
      onForget: (m) =>
        logEvent(ctx, {
          action: 'forget',
          subject: m.instance,
          message: `forgotten by down --force, not stopped (${m.error}): it may still run, and cost, on ${m.cloud}`,
        }),
    },
    (phase) => progress?.phase(phase),
  ).finally(() => progress?.done());
  if (options.json) return output.json(report);
  for (const m of report.forgotten) {
    output.line(`forgotten, not stopped: ${m.instance} on ${m.cloud} (${m.error})`);
  }
  const removed = [
    report.instances.length > 0 ? `${report.instances.length} instance(s)` : '',
    report.registry ? 'registry' : '',
    report.manager ? 'manager' : '',
    report.bridge ? 'bridge' : '',
  ].filter(Boolean);
  output.line(
    removed.length === 0
      ? `cluster ${config.cluster.name} was not up; nothing to remove`
      : `cluster ${config.cluster.name} is down: removed ${removed.join(', ')}${report.purged ? ', and purged its state' : ''}`,
  );
}

export async function statusAction(
  { config, output }: CommandContext,
  options: StatusOptions,
): Promise<void> {
  const status = await clusterStatus(clusterLayout(config));
  if (options.json) return output.json(status);
  printStatus(status, output);
}

function printStatus(status: ClusterStatus, output: CommandContext['output']): void {
  const { manager, registry } = status;
  output.line(`cluster   ${status.cluster} (state in ${status.stateDir})`);
  output.line(
    `manager   ${manager.state}${manager.pid ? `, pid ${manager.pid}` : ''}, ${manager.address}${manager.engine ? `, engine ${manager.engine}` : ''}`,
  );
  output.line(`registry  ${registry.state}, ${registry.address}`);
  const { autoscaler } = status;
  output.line(
    `autoscaler ${autoscaler.state}${autoscaler.pid ? `, pid ${autoscaler.pid}` : ''}, ${autoscaler.address}${autoscaler.state === 'stopped' ? ' (micado up starts it again)' : ''}`,
  );
  if (manager.state !== 'running') {
    output.line('run `micado up` to start the cluster');
    return;
  }
  output.line('');
  output.table(
    [
      'NODE',
      'ROLE',
      'STATE',
      'AVAILABILITY',
      'INSTANCE',
      'POOL',
      'FLAVOUR',
      'TAG',
      'ADDRESS',
      'CPU (m) used/cap',
      'MEMORY (MB) used/cap',
      'TASKS',
    ],
    status.nodes.map((n) => [
      n.hostname,
      n.role,
      n.state,
      n.availability,
      n.instance ?? '-',
      n.pool ?? '-',
      n.flavour ?? '-',
      n.tag ?? '-',
      n.address,
      n.role === 'manager' ? '-' : `${n.reserved.cpuMilli}/${n.capacity.cpuMilli}`,
      n.role === 'manager' ? '-' : `${n.reserved.memoryMb}/${n.capacity.memoryMb}`,
      n.tasks,
    ]),
  );
}
