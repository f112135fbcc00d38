/**
 * Daemons micado starts are tracked by the pid it recorded plus the process start
 * time, so a recycled pid is never mistaken for ours, and they are stopped by that pid
 * only: never by name.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostError } from '../errors.js';

export interface ProcessRecord {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat). */
  startTime: number;
}

/** Start `argv` in the background, detached from us, output appended to `logFile`. */
export function spawnDaemon(argv: string[], logFile: string): ProcessRecord {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('spawnDaemon needs a program');
  const log = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    if (child.pid === undefined) throw hostError(`could not start ${file}`);
    const startTime = readStartTime(child.pid);
    if (startTime === undefined) throw hostError(`${file} exited at once; see ${logFile}`);
    return { pid: child.pid, startTime };
  } finally {
    closeSync(log);
  }
}

/** The record of a running process started by a script of ours (it wrote the pid). */
export function processRecordOf(pid: number): ProcessRecord | undefined {
  const startTime = readStartTime(pid);
  return startTime === undefined ? undefined : { pid, startTime };
}

function readStartTime(pid: number): number | undefined {
  const fields = readStat(pid);
  return fields ? Number(fields[19]) : undefined;
}

/** Fields of /proc/PID/stat after the command name (which may hold spaces). */
function readStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True while the recorded process runs (a zombie or a recycled pid counts as gone). */
export function isRunning(record: ProcessRecord): boolean {
  const fields = readStat(record.pid);
  if (!fields) return false;
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  return Number(fields[19]) === record.startTime;
}

/**
 * Stop the recorded process: SIGTERM, then SIGKILL after `graceMs`. Resolves once it
 * is gone. The wait polls /proc, as Linux offers Node no exit notification for a
 * process that is not our child.
 */
export async function stopProcess(record: ProcessRecord, graceMs: number): Promise<void> {
  if (!isRunning(record)) return;
  signal(record.pid, 'SIGTERM');
  if (await waitGone(record, graceMs)) return;
  signal(record.pid, 'SIGKILL');
  if (!(await waitGone(record, 5_000))) {
    throw hostError(`process ${record.pid} did not exit after SIGKILL`);
  }
}

/** Kill a pid found in one of micado's own cgroups (already known to be ours). */
export function killPid(pid: number): void {
  signal(pid, 'SIGKILL');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitGone(record: ProcessRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  while (isRunning(record)) {
    if (Date.now() > deadline) return false;
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
  return true;
}
