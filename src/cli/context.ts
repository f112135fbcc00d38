/** What every action gets: the configuration as flags left it, and where to speak. */
import type { Command } from 'commander';
import type { MicadoConfig } from '../config/config.js';
import { loadConfig } from '../config/load-config.js';
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

/** Build the context from the program's global options (validated here, once). */
export function contextFrom(
  command: Command,
  output: Output,
  status: CommandStatus,
): CommandContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const flags: Record<string, string | undefined> = { stateDir: globals.stateDir };
  return { config: loadConfig({ file: globals.config, flags }), output, status };
}

/** What commander calls when a command runs: its options, then the command. */
export type Run<O> = (options: O, command: Command) => Promise<void>;
