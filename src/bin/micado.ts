#!/usr/bin/env node
/** The micado command: runs the program and is the only place that sets an exit code. */
import { CommanderError } from 'commander';
import { ACTIONS } from '../cli/actions/index.js';
import type { CommandStatus } from '../cli/context.js';
import { ConsoleOutput } from '../cli/output.js';
import { buildProgram, normalizeArgv } from '../cli/program.js';
import { causeChain, exitCodeOf, messageOf } from '../errors.js';

const status: CommandStatus = { exitCode: 0 };
const program = buildProgram(ACTIONS, new ConsoleOutput(), status);
try {
  await program.parseAsync(normalizeArgv(process.argv));
  process.exitCode = status.exitCode;
  if (status.exitWhenDone) process.exit();
} catch (err) {
  if (err instanceof CommanderError) {
    // commander has printed its message already; help and version exit 0, misuse 2.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`micado: ${messageOf(err)}\n`);
    if (program.opts().verbose) {
      for (const line of causeChain(err).slice(1)) process.stderr.write(`  caused by ${line}\n`);
    }
    process.exitCode = exitCodeOf(err);
  }
}
