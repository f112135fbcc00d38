/**
 * The `micado` program: global options and the commands. Commands only register their
 * options; the actions they call are injected, so tests can run a command against a
 * recording fake.
 */
import { Command } from 'commander';
import { createRequire } from 'node:module';
import type { Actions } from './actions/actions.js';
import { contextFrom, type CommandContext, type CommandStatus, type Run } from './context.js';
import type { Output } from './output.js';
import { registerDown, registerStatus, registerUp } from './commands/cluster-commands.js';
import { registerStart, registerStop } from './commands/instance-commands.js';
import {
  registerBuild,
  registerCopy,
  registerExecute,
  registerInfo,
  registerLaunch,
  registerList,
  registerLogs,
  registerQuit,
  registerRemove,
  registerExtend,
} from './commands/container-commands.js';
import { registerEvents, registerMonitor } from './commands/monitor-commands.js';
import {
  registerDashboard,
  registerManager,
  registerServices,
} from './commands/manager-commands.js';
import { registerClient, registerReport, registerScrub } from './commands/client-commands.js';
import { registerPolicy } from './commands/policy-commands.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** The manual writes `quit -rm`; a lone `-rm` means `--rm`. */
export function normalizeArgv(argv: string[]): string[] {
  return argv.map((arg) => (arg === '-rm' ? '--rm' : arg));
}

export function buildProgram(actions: Actions, output: Output, status: CommandStatus): Command {
  const program = new Command('micado')
    .description('autoscaling manager for Docker Swarm clusters on clouds')
    .version(version)
    .option('--state-dir <dir>', 'state directory (default /var/lib/micado, or MICADO_STATE_DIR)')
    .option('--config <file>', 'config file (default /etc/micado/config.json, or MICADO_CONFIG)')
    .option('-v, --verbose', 'show the cause of an error')
    .showSuggestionAfterError()
    .exitOverride();
  const bind =
    <O>(action: (ctx: CommandContext, options: O) => Promise<void>): Run<O> =>
    (options, command) =>
      action(contextFrom(command, output, status), options);
  registerUp(program, bind(actions.up));
  registerDown(program, bind(actions.down));
  registerStatus(program, bind(actions.status));
  registerStart(program, bind(actions.start));
  registerStop(program, bind(actions.stop));
  registerLaunch(program, bind(actions.launch));
  registerQuit(program, bind(actions.quit));
  registerRemove(program, bind(actions.remove));
  registerExtend(program, bind(actions.extend));
  registerList(program, bind(actions.list));
  registerLogs(program, bind(actions.logs));
  registerInfo(program, bind(actions.info));
  registerExecute(program, bind(actions.execute));
  registerCopy(program, bind(actions.copy));
  registerBuild(program, bind(actions.build));
  registerMonitor(program, bind(actions.monitor));
  registerEvents(program, bind(actions.events));
  registerServices(program, bind(actions.services));
  registerDashboard(program, bind(actions.dashboard));
  registerReport(program, bind(actions.report));
  registerScrub(program, bind(actions.scrub));
  registerManager(program, bind(actions.manager));
  registerClient(program, {
    add: bind(actions.clientAdd),
    set: bind(actions.clientSet),
    remove: bind(actions.clientRemove),
    list: bind(actions.clientList),
  });
  registerPolicy(program, {
    set: bind(actions.policySet),
    remove: bind(actions.policyRemove),
    list: bind(actions.policyList),
  });
  return program;
}
