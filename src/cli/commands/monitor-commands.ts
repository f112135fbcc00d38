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
  ClientOptions,
  ClientRemoveOptions,
  ClientListOptions,
  ReportOptions,
  ScrubOptions,
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

export function registerScrub(program: Command, run: Run<ScrubOptions>): void {
  program
    .command('scrub')
    .description(
      "remove now what the manager's daily scrub would: long-stopped containers, removed clients' images",
    )
    .option(
      '--keep-stopped-days <n>',
      'keep stopped containers this many days (default clients.keepStoppedDays)',
    )
    .option('--json', 'print what was removed as JSON')
    .action(run);
}

export function registerReport(program: Command, run: Run<ReportOptions>): void {
  program
    .command('report')
    .description(
      'who used what: container-hours, CPU and memory reserved and used, nodes, per client and pool',
    )
    .option('-c, --client <client>', 'only this client')
    .option('--since <when>', 'from a while ago (30d) or a time (ISO 8601); 30 days unless told')
    .option('--until <when>', 'to a while ago or a time; now unless told')
    .option('--json', 'print the report as JSON')
    .option('--csv', 'print the report as CSV')
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

export function registerClient(
  program: Command,
  run: {
    add: Run<ClientOptions>;
    set: Run<ClientOptions>;
    remove: Run<ClientRemoveOptions>;
    list: Run<ClientListOptions>;
  },
): void {
  const client = program
    .command('client')
    .description('who containers are launched for (launch -n), and what each may use');
  const limits = (command: Command) =>
    command
      .requiredOption('-n, --name <client>', 'the client, as launch -n names it')
      .option('-d, --domain <domain>', 'its domain')
      .option('--membership <text>', 'its membership, free text')
      .option('--max-containers <n>', 'containers it may have (none: no limit)')
      .option('--max-replicas <n>', 'replicas over all its containers')
      .option('--max-cpu <cpus>', 'CPU its replicas may reserve in all, e.g. 4 or 500m')
      .option('--max-memory <size>', 'memory its replicas may reserve in all, e.g. 8g')
      .option('--pools <pools>', 'the pools its containers may run in, comma-separated')
      .option('--ttl <duration>', 'time limit of a launch that gives none, e.g. 24h')
      .option('--max-ttl <duration>', 'the longest time limit a launch may have, e.g. 7d')
      .option('--json', 'print the client as JSON');
  limits(client.command('add').description('add a client')).action(run.add);
  limits(client.command('set').description("change a client's details or limits")).action(run.set);
  client
    .command('remove')
    .description('remove a client (one with containers only with --force, which quits them)')
    .requiredOption('-n, --name <client>', 'the client')
    .option('--force', 'quit and remove its containers first')
    .action(run.remove);
  client
    .command('list')
    .description('list clients with what they use and their limits')
    .option('--json', 'print them as JSON')
    .action(run.list);
}
