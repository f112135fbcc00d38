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

export interface CommandContext {
  config: MicadoConfig;
  output: Output;
}

/** Build the context from the program's global options (validated here, once). */
export function contextFrom(command: Command, output: Output): CommandContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const flags: Record<string, string | undefined> = { stateDir: globals.stateDir };
  return { config: loadConfig({ file: globals.config, flags }), output };
}
