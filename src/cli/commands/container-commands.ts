/** Container commands, with the options of the MiCADO manual and what a modern CLI adds. */
import type { Command } from 'commander';
import type {
  BuildOptions,
  CopyOptions,
  ExecuteOptions,
  InfoOptions,
  LaunchOptions,
  ListOptions,
  LogsOptions,
  QuitOptions,
  RemoveOptions,
  ExtendOptions,
} from '../actions/actions.js';
import type { Run } from '../context.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerLaunch(program: Command, run: Run<LaunchOptions>): void {
  program
    .command('launch')
    .description('launch a container (a Swarm service) and wait until it runs')
    .requiredOption('-i, --image <image>', 'image in the private registry, e.g. container-default')
    .requiredOption(
      '-n, --name <client>',
      'client the container is launched for; names its first container container-CLIENT',
    )
    .option(
      '--container-name <name>',
      "name it container-NAME (a client's next container is otherwise container-CLIENT-IMAGE)",
    )
    .option('-l, --location <pool>', 'run only on nodes of this pool, e.g. application or database')
    .option('-s, --script <path>', 'script inside the image to run')
    .option('-a, --arguments <args...>', 'arguments for the script (or the image command)')
    .option('-d, --domain <domain>', 'domain the proxy routes to this container')
    .option(
      '--path <prefix>',
      'serve only this path prefix of the domain (e.g. /api), sharing it with other containers',
    )
    .option(
      '-p, --port <port>',
      "port of the instance it runs on (and the container's, unless --container-port); one replica per node",
    )
    .option(
      '--container-port <port>',
      "port it listens on inside, published on a node port the engine chooses per task (with -d, default: the image's first EXPOSE)",
    )
    .option('-e, --environment <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('--cpu <cpus>', 'CPUs to reserve per replica, e.g. 0.5 or 500m')
    .option(
      '--memory <size>',
      'memory to reserve per replica, e.g. 300m or 1g; a replica past it is killed',
    )
    .option(
      '--cpu-burst',
      'let a replica use more CPU than it reserves when its node has it (default: held to --cpu)',
    )
    .option(
      '--private-network',
      "join the client's own network, where its containers reach each other by name",
    )
    .option('--replicas <n>', 'number of replicas', undefined)
    .option('--ttl <duration>', "remove it after this long, e.g. 24h (default: its client's)")
    .option('--wait', 'wait until every replica runs, showing progress (default)')
    .option('--detach', 'return once the container is created')
    .option('--json', 'print the container as JSON')
    .addHelpText(
      'after',
      `
--cpu and --memory are reserved as the generic resources every micado node advertises
(micado.cpu_milli, micado.mem_mb): they bound a node on every driver. A stack's native
reservations (--reserve-cpu, --reserve-memory) count too, against a cloud flavour's real
size; on the local driver every node sees the host's memory, so only the generic
resources bound a local node.`,
    )
    .action(run);
}

export function registerQuit(program: Command, run: Run<QuitOptions>): void {
  program
    .command('quit')
    .description('stop a running container (scale it to zero)')
    .requiredOption(
      '-n, --name <service>',
      "container to stop, e.g. container-abc, or a stack's service, e.g. shop_web",
    )
    .option('--rm', "remove it once stopped (the manual's -rm works too)")
    .option('--json', 'print the result as JSON')
    .action(run);
}

export function registerExtend(program: Command, run: Run<ExtendOptions>): void {
  program
    .command('extend')
    .description("give a container a new time limit, from now, within its client's longest")
    .requiredOption('-n, --name <container>', 'the container, e.g. container-abc')
    .requiredOption('--ttl <duration>', 'its new time limit from now, e.g. 4h')
    .option('--json', 'print the result as JSON')
    .action(run);
}

export function registerRemove(program: Command, run: Run<RemoveOptions>): void {
  program
    .command('remove')
    .description('remove a stopped container')
    .requiredOption(
      '-n, --name <service>',
      "container to remove (a stack's services go with docker stack rm)",
    )
    .option('--json', 'print the result as JSON')
    .action(run);
}

export function registerList(program: Command, run: Run<ListOptions>): void {
  program
    .command('list')
    .description('list containers (-c, the default) and/or instances (-i)')
    .option('-c, --containers', 'list the running containers')
    .option('-a, --all', 'with -c: stopped containers too')
    .option('-i, --instance', 'list the instances with their capacity used and free')
    .option('--json', 'print the lists as JSON')
    .action(run);
}

export function registerLogs(program: Command, run: Run<LogsOptions>): void {
  program
    .command('logs')
    .description("print a container's logs")
    .requiredOption(
      '-n, --name <service>',
      "container (or a stack's service, e.g. shop_web) to read the logs of",
    )
    .option('-f, --follow', 'keep printing new lines until interrupted or the container is removed')
    .option('--tail <lines>', 'only the last lines')
    .option('-t, --timestamps', 'prefix every line with its time')
    .action(run);
}

export function registerInfo(program: Command, run: Run<InfoOptions>): void {
  program
    .command('info')
    .description('what the engine knows of a container: tasks, placement, reservations, errors')
    .option('-s, --service <container>', 'container to describe')
    .option('-a, --all', 'describe every container')
    .option('--show-env', 'show environment values (hidden by default: they may be secrets)')
    .option('--json', 'print as JSON')
    .action(run);
}

export function registerExecute(program: Command, run: Run<ExecuteOptions>): void {
  program
    .command('execute')
    .description("run a command in a running container; its exit code becomes micado's")
    .requiredOption(
      '-n, --name <service>',
      "container (or a stack's service, e.g. shop_web) to run the command in",
    )
    .option('-c, --command <command>', 'command line, split into words (no shell unless --shell)')
    .option('--shell', 'run the command line with /bin/sh -c')
    .option('-r, --replica <n>', 'which replica (default: the first running)')
    .argument('[argv...]', 'the command as words, after --')
    .action((argv: string[], options: Omit<ExecuteOptions, 'argv'>, command: Command) =>
      run({ ...options, argv }, command),
    );
}

export function registerCopy(program: Command, run: Run<CopyOptions>): void {
  program
    .command('copy')
    .description('copy files into a container (SRC NAME:DST) or out of it (NAME:SRC DST)')
    .argument('<source>', 'a local path, or container-NAME:/path')
    .argument('<destination>', 'container-NAME:/path, or a local path')
    .option('-r, --replica <n>', 'which replica (default: the first running)')
    .action(
      (source: string, destination: string, options: { replica?: string }, command: Command) =>
        run({ ...options, source, destination }, command),
    );
}

export function registerBuild(program: Command, run: Run<BuildOptions>): void {
  program
    .command('build')
    .description('build an image from a tarball and push it to the private registry')
    .requiredOption('-n, --name <container>', 'image name, in the pattern container-NAME')
    .requiredOption(
      '-f, --filename <tarball>',
      'tarball holding the directory container-NAME/ with a Dockerfile',
    )
    .option(
      '--client <client>',
      'build for this client: the image is its own (CLIENT/container-NAME), launched only for it',
    )
    .option('--shared', 'build an image every client may launch (the default without --client)')
    .option('--json', 'print the result as JSON')
    .action(run);
}
