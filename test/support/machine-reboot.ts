/**
 * A machine's reboot, as the cloud-in-a-machine test plays it on a local machine (a
 * network namespace and its cgroup): the power goes (every process of the machine's
 * cgroup killed at once, no shutdown; the kernel's iptables rules in its namespace
 * forgotten), then the machine boots and systemd starts its enabled units, in order:
 * each unit's ExecStartPre lines to the end, then its ExecStart, with its Environment;
 * a `notify` or `simple` service left running, a `forking` one's start awaited.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createCgroup, pidsIn } from '../../src/host/cgroup.js';
import { namespacedArgv } from '../../src/namespace-host/dockerd-command.js';
import { run } from './test-cluster.js';

export interface Machine {
  namespace: string;
  /** The machine's cgroup, relative to micado's cgroup roots. */
  cgroup: string;
  /** Its hostname (default: the namespace's name). */
  hostname?: string;
  /** Where a started service's output goes (its journal), if anywhere. */
  journal?: string;
}

/** The lines of a unit's [Service] section that a boot runs. */
export interface ServiceUnit {
  type: string;
  environment: Record<string, string>;
  execStartPre: string[][];
  execStart: string[];
}

/** Read a unit file as systemd would for a start (its quoting: double quotes only). */
export function readServiceUnit(file: string): ServiceUnit {
  const unit: ServiceUnit = { type: 'simple', environment: {}, execStartPre: [], execStart: [] };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (line.startsWith('#') || at < 0) continue;
    const [key, value] = [line.slice(0, at), line.slice(at + 1)];
    const words = [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
    if (key === 'Type') unit.type = value;
    if (key === 'ExecStartPre') unit.execStartPre.push(words);
    if (key === 'ExecStart') unit.execStart = words;
    if (key === 'Environment') {
      for (const word of words) {
        const eq = word.indexOf('=');
        unit.environment[word.slice(0, eq)] = word.slice(eq + 1);
      }
    }
  }
  return unit;
}

/** The power goes: every process of the machine killed, the rules of its kernel gone. */
export async function powerOff(machine: Machine): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const pids = pidsIn(machine.cgroup);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (pidsIn(machine.cgroup).length > 0) throw new Error(`${machine.namespace}: processes survived the power-off`); // prettier-ignore
  const flushed = await run('ip', [
    'netns',
    'exec',
    machine.namespace,
    'iptables',
    '-F',
    'FORWARD',
  ]);
  if (flushed.code !== 0)
    throw new Error(`flushing ${machine.namespace}'s rules: ${flushed.stderr}`);
}

/**
 * Start a unit on the machine as systemd would at boot: its ExecStartPre lines, each
 * to its end (one failing fails the start), then its ExecStart, in the machine's
 * namespace and cgroup, under its hostname.
 */
export async function startUnit(machine: Machine, file: string): Promise<void> {
  const unit = readServiceUnit(file);
  const procs = createCgroup(`${machine.cgroup}/daemon`);
  const argv = (words: string[]) => namespacedArgv(procs, machine.namespace, machine.hostname ?? machine.namespace, words); // prettier-ignore
  const env = { ...process.env, ...unit.environment };
  const toEnd = (words: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [cmd, ...args] = argv(words);
      execFile(
        cmd!,
        args,
        { env, timeout: 300_000 },
        (error, stdout, stderr) =>
        error ? reject(new Error(`${words.join(' ')}: ${stderr || stdout || error.message}`)) : resolve(), // prettier-ignore
      );
    });
  for (const pre of unit.execStartPre) await toEnd(pre);
  if (unit.type === 'forking' || unit.type === 'oneshot') return toEnd(unit.execStart);
  const [cmd, ...args] = argv(unit.execStart);
  const journal = machine.journal ? openSync(machine.journal, 'a', 0o600) : 'ignore';
  try {
    const child = spawn(cmd!, args, { env, detached: true, stdio: ['ignore', journal, journal] });
    child.on('error', () => undefined);
    child.unref();
  } finally {
    if (typeof journal === 'number') closeSync(journal);
  }
}
