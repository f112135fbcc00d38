/** The monitor and the events log: what happened, and what is used. */
import type { Command } from 'commander';
import type { EventsOptions, MonitorOptions } from '../actions/actions.js';
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
