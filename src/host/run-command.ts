/**
 * Runs host tools (ip, umount) where no API exists. Arguments are an argv, never a
 * shell string, so nothing a user typed is ever interpreted by a shell.
 */
import { execFile } from 'node:child_process';
import { hostError } from '../errors.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Text fed to the command's standard input (for `ip -batch -`). */
  input?: string;
  timeoutMs?: number;
}

export function runCommand(argv: string[], options: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('runCommand needs a program');
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const detail = stderr.trim().split('\n').slice(-2).join('; ') || error.message;
          reject(hostError(`${argv.slice(0, 4).join(' ')} failed: ${detail}`, error));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** True when `name` is an executable on PATH. */
export async function hasProgram(name: string): Promise<boolean> {
  const { access, constants } = await import('node:fs/promises');
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try {
      await access(`${dir}/${name}`, constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}
