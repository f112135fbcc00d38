/**
 * `micado build` never runs on the manager's engine: a Dockerfile's RUN could fill the
 * disk that holds Swarm's Raft log and the registry, or starve the manager of memory.
 * Each build gets an engine of its own, made for it and gone after it:
 *
 * - its layers on a file system of `build.diskMb` (a sparse file, loop-mounted), so a
 *   step that writes without end fills that and nothing else;
 * - its steps in a cgroup held to `build.memoryMb`, `build.cpus` and `build.pidsLimit`
 *   (the engine itself in another, so its threads do not count), and each step with no
 *   network: what a build needs comes in its context or its FROM;
 * - stopped, by the pid it recorded, after `build.timeoutMs`.
 *
 * It pulls FROM and pushes the result with the registry's accounts, like the manager's
 * engine; nothing of the build is left on the manager's. The engine listens on a unix
 * socket only, and has no bridge: it runs nothing but the build's steps.
 */
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { conflictError, hostError, messageOf } from '../errors.js';
import {
  createCgroup,
  createLimitedCgroup,
  destroyCgroup,
  removeEmptyCgroup,
} from '../host/cgroup.js';
import { unmountAllUnder } from '../host/mounts.js';
import {
  isRunning,
  processRecordOf,
  spawnDaemon,
  stopProcess,
  type ProcessRecord,
} from '../host/process.js';
import { runCommand } from '../host/run-command.js';
import { dockerdArgv } from '../namespace-host/dockerd-command.js';
import { waitForEngine } from '../namespace-host/local-host.js';
import { connectEngine, type SwarmClient } from '../swarm/index.js';
import type { MicadoConfig } from '../config/config.js';
import type { ClusterLayout } from './cluster-layout.js';
import { registryAuths } from './private-registry.js';

export type BuildLimits = MicadoConfig['build'];

/** Where every sandbox lives while its build runs (and what `down` sweeps). */
export const buildsDir = (layout: ClusterLayout) => join(layout.config.stateDir, 'builds');

const cgroupOf = (layout: ClusterLayout, id: string) =>
  `${layout.config.cluster.name}/builds/${id}`;

/**
 * Run `build` against a sandbox engine made for it; the sandbox is destroyed after,
 * whatever the outcome. Past `limits.timeoutMs` the engine is stopped, which ends the
 * build, and the error says so.
 */
export async function inBuildSandbox<T>(
  layout: ClusterLayout,
  limits: BuildLimits,
  build: (engine: SwarmClient) => Promise<T>,
): Promise<T> {
  mkdirSync(buildsDir(layout), { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(buildsDir(layout), 'b-'));
  const id = basename(dir);
  const cgroup = cgroupOf(layout, id);
  let daemon: ProcessRecord | undefined;
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  try {
    // Which micado process the sandbox is for: one whose process died is swept.
    writeFileSync(join(dir, 'owner'), JSON.stringify(processRecordOf(process.pid)));
    await makeDisk(dir, limits.diskMb);
    const procs = createCgroup(`${cgroup}/engine`);
    createLimitedCgroup(`${cgroup}/steps`, {
      memoryBytes: limits.memoryMb * 1_048_576,
      cpus: limits.cpus,
      pids: limits.pidsLimit,
    });
    const argv = dockerdArgv({
      dataRoot: join(dir, 'disk'),
      execRoot: join(dir, 'run'),
      pidFile: join(dir, 'dockerd.pid'),
      socket: join(dir, 'docker.sock'),
      cgroupParent: `/${cgroup}/steps`,
    });
    // The steps' cgroup is a directory path, as the cgroupfs driver takes it.
    argv.push('--exec-opt', 'native.cgroupdriver=cgroupfs');
    daemon = spawnDaemon(['sh', '-c', 'echo $$ > "$0" && exec "$@"', procs, ...argv], join(dir, 'dockerd.log')); // prettier-ignore
    await waitForEngine({ dir, namespace: `build sandbox ${id}` }, daemon, layout.config.local.readyTimeoutMs); // prettier-ignore
    const engine = connectEngine(
      { socketPath: join(dir, 'docker.sock') },
      { registryAuths: registryAuths(layout) },
    );
    // Past its time the engine is stopped: the build's stream breaks, and says why here.
    const running = daemon;
    timer = setTimeout(() => {
      expired = true;
      void stopProcess(running, 1_000).catch(() => undefined);
    }, limits.timeoutMs);
    return await build(engine);
  } catch (err) {
    if (expired)
      throw conflictError(`the build ran past build.timeoutMs (${Math.round(limits.timeoutMs / 1000)} s) and was stopped`, err); // prettier-ignore
    throw err;
  } finally {
    clearTimeout(timer);
    await destroySandbox(dir, cgroup, daemon);
  }
}

/** Stop what a sandbox runs and remove every trace of it. */
async function destroySandbox(dir: string, cgroup: string, daemon?: ProcessRecord) {
  if (daemon) await stopProcess(daemon, 5_000).catch(() => undefined);
  await destroyCgroup(cgroup);
  removeEmptyCgroup(dirname(cgroup));
  await unmountAllUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Sandboxes a build left when its process died (killed, or the machine stopped):
 * removed by `down`, and before each build.
 */
export async function sweepBuildSandboxes(layout: ClusterLayout, all: boolean): Promise<void> {
  if (!existsSync(buildsDir(layout))) return;
  for (const id of readdirSync(buildsDir(layout))) {
    const dir = join(buildsDir(layout), id);
    if (!all && ownerRuns(dir)) continue;
    await destroySandbox(dir, cgroupOf(layout, id));
  }
}

function ownerRuns(dir: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(dir, 'owner'), 'utf8')) as ProcessRecord | null;
    return owner !== null && isRunning(owner);
  } catch {
    return false;
  }
}

/** A file system of `sizeMb` for the engine's layers: a sparse file, formatted, mounted. */
async function makeDisk(dir: string, sizeMb: number): Promise<void> {
  const image = join(dir, 'disk.img');
  const fd = openSync(image, 'w', 0o600);
  try {
    ftruncateSync(fd, sizeMb * 1_048_576);
  } finally {
    closeSync(fd);
  }
  mkdirSync(join(dir, 'disk'), { mode: 0o700 });
  await runCommand(['mkfs.ext4', '-q', '-F', '-m', '0', image]).catch((err: unknown) => {
    throw hostError(`cannot make the build's file system: ${messageOf(err)}`, err);
  });
  await runCommand(['mount', '-o', 'loop,nodev,nosuid', image, join(dir, 'disk')]).catch(
    (err: unknown) => {
      throw hostError(`cannot mount the build's file system (a build sandbox needs loop devices): ${messageOf(err)}`, err); // prettier-ignore
    },
  );
}
