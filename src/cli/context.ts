/** What every action gets: the configuration as flags left it, and where to speak. */
import type { Command } from 'commander';
import type { MicadoConfig } from '../config/config.js';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { CLUSTER_STATE_FILE, readState } from '../cluster/cluster-state.js';
import type { Output } from './output.js';

export interface GlobalOptions {
  stateDir?: string;
  config?: string;
  verbose?: boolean;
}

/** What a command reports besides its output: the exit code bin will set. */
export interface CommandStatus {
  exitCode: number;
  /**
   * Exit as soon as the action returns, without waiting for what it left running: a
   * long-running command whose work is abandoned on purpose (a node start the next
   * manager resumes from the ledger).
   */
  exitWhenDone?: boolean;
}

export interface CommandContext {
  config: MicadoConfig;
  output: Output;
  status: CommandStatus;
}

/** A command's own options that set configuration, and the setting each one sets. */
const CONFIG_FLAGS = { engine: 'manager.engine', advertise: 'manager.advertise' } as const;

/**
 * Build the context from the program's global options and the command's settings
 * (validated here, once). A cluster made on a host's own engine (`up --engine`) is
 * reached there by every later command, unless the configuration says otherwise.
 */
export function contextFrom(
  command: Command,
  output: Output,
  status: CommandStatus,
): CommandContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const own = command.opts<Partial<Record<keyof typeof CONFIG_FLAGS, string>>>();
  const flags: Record<string, string | undefined> = { stateDir: globals.stateDir };
  for (const [option, path] of Object.entries(CONFIG_FLAGS)) {
    const value = own[option as keyof typeof CONFIG_FLAGS];
    if (value !== undefined) flags[path] = value;
  }
  let config = loadConfig({ file: globals.config, flags });
  const made = config.manager.engine ? undefined : madeOnEngine(config.stateDir);
  if (made) {
    const adopted = { 'manager.engine': made.url, 'manager.advertise': made.advertise };
    config = loadConfig({ file: globals.config, flags: { ...adopted, ...flags } });
  }
  return { config, output, status };
}

/** The host's engine an existing cluster was made on, if it was. */
function madeOnEngine(stateDir: string) {
  return readState(join(stateDir, CLUSTER_STATE_FILE))?.engine;
}

/** What commander calls when a command runs: its options, then the command. */
export type Run<O> = (options: O, command: Command) => Promise<void>;
