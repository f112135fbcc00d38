/** start and stop: nodes from a cloud, with the options of the MiCADO manual. */
import type { Command } from 'commander';
import type { StartOptions, StopOptions } from '../actions/actions.js';
import type { Run } from '../context.js';

export function registerStart(program: Command, run: Run<StartOptions>): void {
  program
    .command('start')
    .description('start a new node and return once it is Ready in the swarm')
    .option(
      '-c, --cloud <cloud>',
      'cloud to start the node on: local, or one of cloudsetup.xml',
      'local',
    )
    .option(
      '-a, --application <application>',
      'application the node runs (CloudBroker clouds), from cloudsetup.xml',
    )
    .requiredOption('-f, --flavour <flavour>', 'flavour (size) of the node, e.g. small')
    .requiredOption('-t, --tag <tag>', 'tag to find the node by, e.g. application01')
    .option('-n, --name <pool>', 'kind of node: application or database', 'application')
    .option(
      '--certificate <file>',
      'a proxy (-n proxy): the certificate (PEM, chain after it) it serves HTTPS with on 443',
    )
    .option('--key <file>', "a proxy: the certificate's private key (PEM)")
    .option('-I, --initial', 'the first instance: bring the cluster up first if it is not')
    .option('--json', 'print the new instance as JSON')
    .action(run);
}

export function registerStop(program: Command, run: Run<StopOptions>): void {
  program
    .command('stop')
    .description('drain the node with this tag, stop its instance and remove it from the swarm')
    .requiredOption('-t, --tag <tag>', 'tag of the node to stop')
    .option('--force', 'if its cloud does not answer, forget the machine (it may run on)')
    .option('--json', 'print the result as JSON')
    .action(run);
}
