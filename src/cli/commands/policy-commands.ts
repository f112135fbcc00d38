/** Replica policies: per image or per container. */
import type { Command } from 'commander';
import type { PolicyListOptions, PolicySetOptions, PolicyTarget } from '../actions/actions.js';
import type { Run } from '../context.js';

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
