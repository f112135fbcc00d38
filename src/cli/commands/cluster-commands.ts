/** up, down, status: the local cluster's lifecycle. */
import type { Command } from 'commander';
import type { DownOptions, StatusOptions, UpOptions } from '../actions/actions.js';
import type { Run } from '../context.js';

export function registerUp(program: Command, run: Run<UpOptions>): void {
  program
    .command('up')
    .description('start the local cluster: bridge, manager, swarm, private registry, base image')
    .option(
      '--engine <url>',
      "run the manager on this host's own engine, unix:///PATH (a VM's), not one micado makes",
    )
    .option('--advertise <address>', 'with --engine: the address nodes reach this host at')
    .option('--json', 'print what was made as JSON')
    .action(run);
}

export function registerDown(program: Command, run: Run<DownOptions>): void {
  program
    .command('down')
    .description('remove the local cluster and every node, namespace, link and process it made')
    .option('--purge', 'also delete the state directory, with the images pushed to the registry')
    .option('--force', 'forget cloud machines whose cloud does not answer (they may run on)')
    .option('--json', 'print what was removed as JSON')
    .action(run);
}

export function registerStatus(program: Command, run: Run<StatusOptions>): void {
  program
    .command('status')
    .description('show the manager, the registry and every node with its capacity')
    .option('--json', 'print the status as JSON')
    .action(run);
}
