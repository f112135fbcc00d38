/** execute and copy: into a running container, on the engine of the node it runs on. */
import { parse } from 'shell-quote';
import { usageError } from '../../errors.js';
import { checkServiceName } from '../../containers/container-names.js';
import { runningTask } from '../../containers/container-operations.js';
import { copyIn, copyOut, splitRemote } from '../../containers/container-copy.js';
import type { CommandContext } from '../context.js';
import type { CopyOptions, ExecuteOptions } from './actions.js';
import { findContainer, managerFor, nodeEngine } from './manager-connection.js';

/** The argv to run: `-c "ls -la /"` split as a shell would (but run by none), argv after `--`, or a shell. */
export function commandArgv(options: Pick<ExecuteOptions, 'command' | 'shell' | 'argv'>): string[] {
  if (options.command !== undefined && options.argv.length > 0) {
    throw usageError('give the command either with -c or after --, not both');
  }
  if (options.shell) {
    const line = options.command ?? options.argv.join(' ');
    if (!line.trim()) throw usageError('give the command to run: -c COMMAND');
    return ['/bin/sh', '-c', line];
  }
  if (options.argv.length > 0) return options.argv;
  if (options.command === undefined || !options.command.trim()) {
    throw usageError('give the command to run: -c COMMAND, or -- COMMAND ARGS…');
  }
  // Variables are not expanded (there is no shell): they count as shell syntax.
  const words = parse(options.command, () => ({ op: '$' }) as never);
  if (words.some((w) => typeof w !== 'string')) {
    throw usageError(
      `'${options.command}' needs a shell (pipes, redirections, variables): add --shell`,
    );
  }
  return words as string[];
}

function parseReplica(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw usageError(`invalid replica '${text}': give its number, 1 or more`);
  return Number(text);
}

export async function executeAction(
  { config, status }: CommandContext,
  options: ExecuteOptions,
): Promise<void> {
  const name = checkServiceName(options.name);
  const argv = commandArgv(options);
  const replica = parseReplica(options.replica);
  const { manager } = managerFor(config);
  const { node, containerId } = await runningTask(
    manager,
    await findContainer(manager, name),
    replica,
  );
  const engine = nodeEngine(config, node);
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  // Input is passed on only when there is some to pass: a terminal, or a pipe or file.
  const interactive = tty || !process.stdin.isTTY;
  if (tty) process.stdin.setRawMode(true);
  try {
    status.exitCode = await engine.execAttached(containerId, argv, {
      stdin: interactive ? process.stdin : undefined,
      stdout: process.stdout,
      stderr: process.stderr,
      tty,
      size: tty ? { rows: process.stdout.rows, columns: process.stdout.columns } : undefined,
    });
  } finally {
    if (tty) process.stdin.setRawMode(false);
  }
}

export async function copyAction(
  { config, output }: CommandContext,
  options: CopyOptions,
): Promise<void> {
  const from = splitRemote(options.source);
  const to = splitRemote(options.destination);
  if ((from && to) || (!from && !to)) {
    throw usageError(
      'copy between this host and a container: micado copy SRC NAME:DST, or micado copy NAME:SRC DST',
    );
  }
  const remote = (from ?? to)!;
  checkServiceName(remote.container);
  const { manager } = managerFor(config);
  const service = await findContainer(manager, remote.container);
  const { node, containerId } = await runningTask(manager, service, parseReplica(options.replica));
  const engine = nodeEngine(config, node);
  if (to) await copyIn(engine, containerId, options.source, to.path);
  else await copyOut(engine, containerId, from!.path, options.destination);
  output.line(`copied ${options.source} to ${options.destination}`);
}
