/** The monitor and the events log. */
import type { Command } from 'commander';
import type {
  EventsOptions,
  ManagerOptions,
  MonitorOptions,
  PolicyListOptions,
  PolicySetOptions,
  PolicyTarget,
  ServicesOptions,
  DashboardOptions,
} from '../actions/actions.js';
import type { Run } from '../context.js';

export function registerMonitor(program: Command, run: Run<MonitorOptions>): void {
  program
    .command('monitor')
    .description(
      "refresh the store with every node's and container's usage, on the configured cron schedule",
    )
    .option('--once', 'refresh once and exit')
    .option('--json', 'print each refresh as a JSON line')
    .action(run);
}

export function registerEvents(program: Command, run: Run<EventsOptions>): void {
  program
    .command('events')
    .description('show the events log: launches, nodes started and stopped, scaling, failures')
    .option(
      '--since <when>',
      'only events since a time (ISO 8601) or a while ago (30s, 10m, 2h, 7d)',
    )
    .option('--limit <n>', 'only the newest n events')
    .option('--json', 'print the events as JSON')
    .action(run);
}

export function registerServices(program: Command, run: Run<ServicesOptions>): void {
  program
    .command('services')
    .description(
      'show the service catalog: each container, its client and domain, where its tasks run and their health',
    )
    .option('--json', 'print the catalog as JSON')
    .action(run);
}

export function registerDashboard(program: Command, run: Run<DashboardOptions>): void {
  program
    .command('dashboard')
    .description("print the address of the manager's web dashboard (read-only, live)")
    .option('--open', "open it in this machine's browser too")
    .option('--json', 'print the address as JSON')
    .action(run);
}

export function registerManager(program: Command, run: Run<ManagerOptions>): void {
  program
    .command('manager')
    .description(
      'run the manager in the foreground: autoscaling, the monitor, /healthz and /metrics (micado up starts it)',
    )
    .option('--dry-run', 'decide, log and record every decision, but change nothing')
    .option('--listen <host:port>', 'address of /healthz and /metrics (default 127.0.0.1:9465)')
    .action(run);
}

export function registerPolicy(
  program: Command,
  run: { set: Run<PolicySetOptions>; remove: Run<PolicyTarget>; list: Run<PolicyListOptions> },
): void {
  const policy = program
    .command('policy')
    .description("when a container's replicas follow its load: per image or per container");
  policy
    .command('set')
    .description('set the policy of an image (its containers) or of one container')
    .option('-i, --image <image>', 'every container of this image')
    .option('-n, --name <container>', 'one container (wins over its image)')
    .option('--min <n>', 'fewest replicas (default 1)')
    .option('--max <n>', 'most replicas')
    .option('--cpu-high <percent>', 'add replicas over this CPU use, in % of reserved (default 80)')
    .option('--cpu-low <percent>', 'remove one under this CPU use… (default 20)')
    .option('--memory-high <percent>', 'add replicas over this memory use (default 80)')
    .option('--memory-low <percent>', '…and under this memory use (default 20)')
    .option('--json', 'print the policy as JSON')
    .action(run.set);
  policy
    .command('remove')
    .description('remove the policy of an image or a container')
    .option('-i, --image <image>', 'the image')
    .option('-n, --name <container>', 'the container')
    .action(run.remove);
  policy
    .command('list')
    .description('list the policies')
    .option('--json', 'print them as JSON')
    .action(run.list);
}
