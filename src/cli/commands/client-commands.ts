/** Clients: their records and limits, the report of their usage, and the scrub. */
import type { Command } from 'commander';
import type {
  ClientListOptions,
  ClientOptions,
  ClientRemoveOptions,
  ReportOptions,
  ScrubOptions,
} from '../actions/actions.js';
import type { Run } from '../context.js';

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
