/**
 * A local host: a network namespace on micado's bridge running a dockerd of its own,
 * in a cgroup of its own. The manager and every local instance are one of these.
 * Creation and destruction are idempotent, so a half-made host from a crash is
 * finished off by the same destroy.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  watch,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostError } from '../errors.js';
import { createCgroup, destroyCgroup } from '../host/cgroup.js';
import { unmountAllUnder } from '../host/mounts.js';
import { createNamespace, deleteLink, deleteNamespace, namespaceExists } from '../host/network.js';
import {
  isRunning,
  processRecordOf,
  spawnDaemon,
  stopProcess,
  type ProcessRecord,
} from '../host/process.js';
import { connectEngine } from '../swarm/index.js';
import { dockerdArgv, namespacedArgv, type DockerdOptions } from './dockerd-command.js';

/** A host-unique veth name (15 characters at most) derived from cluster and host name. */
export function vethName(cluster: string, name: string): string {
  return `mv${createHash('sha256').update(`${cluster}/${name}`).digest('hex').slice(0, 10)}`;
}

export interface LocalHostRecord {
  /** Network namespace, also the host's name in the swarm. */
  namespace: string;
  hostVeth: string;
  bridge: string;
  address: string;
  prefix: number;
  /** Everything the host keeps on disk lives below this directory. */
  dir: string;
  /** Its cgroup, relative to each hierarchy's root. */
  cgroup: string;
  process?: ProcessRecord;
}

export type EngineExtras = Pick<DockerdOptions, 'capacity' | 'labels' | 'containerBridge'>;

export const socketOf = (host: Pick<LocalHostRecord, 'dir'>) => join(host.dir, 'docker.sock');
export const logOf = (host: Pick<LocalHostRecord, 'dir'>) => join(host.dir, 'dockerd.log');

/** Make the namespace and start the host's dockerd; resolves once the engine answers. */
export async function startLocalHost(
  host: LocalHostRecord,
  extras: EngineExtras,
  timeoutMs: number,
): Promise<ProcessRecord> {
  if (!(await namespaceExists(host.namespace))) await createNamespace(host);
  mkdirSync(host.dir, { recursive: true, mode: 0o700 });
  const procs = createCgroup(`${host.cgroup}/daemon`);
  const argv = dockerdArgv({
    dataRoot: join(host.dir, 'data'),
    execRoot: join(host.dir, 'run'),
    pidFile: join(host.dir, 'dockerd.pid'),
    socket: socketOf(host),
    cgroupParent: `/${host.cgroup}/containers`,
    ...extras,
  });
  const process = spawnDaemon(
    namespacedArgv(procs, host.namespace, host.namespace, argv),
    logOf(host),
  );
  await waitForEngine(host, process, timeoutMs);
  return process;
}

/** What a machine is, as a VM would know it of itself. */
export interface MachineSize {
  cpus: number;
  memoryMb: number;
}

/** What a VM would know of itself, as a boot script's arguments: address, size, where its files go. */
const machineArguments = (host: LocalHostRecord, size: MachineSize) => [
  '--address', host.address, '--cpus', String(size.cpus), '--memory-mb', String(size.memoryMb),
  '--root', host.dir, '--cgroup-parent', `/${host.cgroup}/containers`,
]; // prettier-ignore

/**
 * Make the namespace and boot a node in it the way every node boots: the node
 * package's execute.sh (`script`), inside the host's cgroup, namespace and hostname,
 * told its boot parameters (`parameters`, as a cloud passes them) and what a VM would
 * know of itself (address, size, where its files go). Resolves with the engine's
 * process once it has joined; execute.sh's own words go to the host's boot.log, and
 * its last one into the error.
 */
export async function bootNodeHost(
  host: LocalHostRecord,
  script: string,
  parameters: string[] | Promise<string[]>,
  size: MachineSize,
  timeoutMs: number,
  env?: Record<string, string>,
): Promise<ProcessRecord> {
  // Awaited below, once the host is made; a failure meanwhile is not unhandled.
  Promise.resolve(parameters).catch(() => undefined);
  if (!(await namespaceExists(host.namespace))) await createNamespace(host);
  mkdirSync(host.dir, { recursive: true, mode: 0o700 });
  const procs = createCgroup(`${host.cgroup}/daemon`);
  const argv = [script, ...(await parameters), ...machineArguments(host, size),
    '--ready-timeout', String(Math.max(1, Math.ceil(timeoutMs / 1000))),
  ]; // prettier-ignore
  const [file, ...args] = namespacedArgv(procs, host.namespace, host.namespace, argv);
  const outcome = await new Promise<{ failed: boolean; output: string }>((resolve) => {
    const options = { timeout: timeoutMs + 5_000, ...(env ? { env: { ...globalThis.process.env, ...env } } : {}) }; // prettier-ignore
    execFile(file!, args, options, (error, stdout, stderr) =>
      resolve({ failed: error !== null, output: `${stdout}${stderr}` }),
    );
  });
  appendFileSync(join(host.dir, 'boot.log'), outcome.output, { mode: 0o600 });
  if (outcome.failed) {
    const last = outcome.output.trim().split('\n').at(-1) || 'no output';
    throw hostError(`booting ${host.namespace} failed: ${last}`);
  }
  const pid = Number(readFileSync(join(host.dir, 'dockerd.pid'), 'utf8').trim());
  const process = processRecordOf(pid);
  if (!process) throw hostError(`dockerd of ${host.namespace} is gone after its boot`);
  return process;
}

/**
 * Make the namespace and run `script` in it in the background, as a cloud VM runs its
 * boot script (cloud-init's user-data, a job's executable): the machine is up as soon
 * as its namespace has its address, whatever the script then does. Its output goes to
 * the host's boot.log; it may start daemons or not, succeed or fail: the machine stays.
 */
export async function launchOnHost(
  host: LocalHostRecord,
  script: string,
  args: string[],
  size: MachineSize,
  env?: Record<string, string>,
): Promise<void> {
  if (!(await namespaceExists(host.namespace))) await createNamespace(host);
  mkdirSync(host.dir, { recursive: true, mode: 0o700 });
  const procs = createCgroup(`${host.cgroup}/daemon`);
  const argv = [script, ...args, ...machineArguments(host, size)];
  const [file, ...rest] = namespacedArgv(procs, host.namespace, host.namespace, argv);
  const log = openSync(join(host.dir, 'boot.log'), 'a', 0o600);
  try {
    const child = spawn(file!, rest, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...globalThis.process.env, ...env },
    });
    child.on('error', () => undefined);
    child.unref();
  } finally {
    closeSync(log);
  }
}

/**
 * Clear what a dead daemon left (its containerd and shims, found through its cgroup;
 * its mounts; its pid files, which a new dockerd refuses to start over) and keep its data,
 * so the next start resumes where it stopped: for the manager, the swarm.
 */
export async function recoverLocalHost(host: LocalHostRecord): Promise<void> {
  if (host.process && isRunning(host.process)) {
    throw hostError(`dockerd of ${host.namespace} is still running (pid ${host.process.pid})`);
  }
  // Only the daemon's own cgroups: the manager's registry lives beside them.
  await destroyCgroup(`${host.cgroup}/daemon`);
  await destroyCgroup(`${host.cgroup}/containers`);
  await unmountAllUnder(host.dir);
  // The exec-root holds only run-time state (sockets, pid files of its containerd); a
  // stale containerd pid file there makes dockerd wait for a containerd that is gone.
  rmSync(join(host.dir, 'run'), { recursive: true, force: true });
  rmSync(join(host.dir, 'dockerd.pid'), { force: true });
  delete host.process;
}

/** Stop the daemon by its recorded pid and remove every trace of the host. */
export async function destroyLocalHost(host: LocalHostRecord, graceMs: number): Promise<void> {
  if (host.process) await stopProcess(host.process, graceMs);
  await destroyCgroup(host.cgroup);
  await unmountAllUnder(host.dir);
  await deleteNamespace(host.namespace);
  await deleteLink(host.hostVeth);
  rmSync(host.dir, { recursive: true, force: true });
}

/** Wait for the socket to appear (woken by the directory watch) and the engine to answer. */
export async function waitForEngine(
  host: Pick<LocalHostRecord, 'dir' | 'namespace'>,
  process: ProcessRecord,
  timeoutMs: number,
): Promise<void> {
  const socket = socketOf(host);
  const deadline = Date.now() + timeoutMs;
  const engine = connectEngine({ socketPath: socket });
  let wake: () => void = () => undefined;
  const watcher = watch(dirname(socket), () => wake());
  try {
    for (;;) {
      if (!isRunning(process)) {
        throw hostError(`dockerd of ${host.namespace} exited: ${lastLogLine(host)}`);
      }
      if (existsSync(socket)) {
        try {
          await engine.ping();
          return;
        } catch {
          // listening but not serving yet
        }
      }
      if (Date.now() > deadline) {
        throw hostError(
          `dockerd of ${host.namespace} did not answer within ${timeoutMs} ms; see ${logOf(host)}`,
        );
      }
      // The watch wakes us when the socket appears; the timer covers a missed event.
      await Promise.race([new Promise<void>((resolve) => (wake = resolve)), sleep(25)]);
    }
  } finally {
    watcher.close();
  }
}

function lastLogLine(host: Pick<LocalHostRecord, 'dir'>): string {
  try {
    const lines = readFileSync(logOf(host), 'utf8').trim().split('\n');
    return lines[lines.length - 1] ?? 'no output';
  } catch {
    return 'no output';
  }
}
