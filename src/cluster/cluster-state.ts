/**
 * What `up` made, recorded as it makes it (before each step), so that `down` and a
 * rolled-back `up` remove exactly that. A lock file keeps two ups or downs apart.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostError } from '../errors.js';
import { tryLock } from '../host/file-lock.js';
import type { ProcessRecord } from '../host/process.js';
import type { LocalHostRecord } from '../namespace-host/local-host.js';

/** The state's file name in the state directory. */
export const CLUSTER_STATE_FILE = 'cluster.json';

export interface ClusterState {
  /** True once micado made the bridge (an existing one of another owner is never touched). */
  bridge: boolean;
  manager?: LocalHostRecord;
  /** The host's own engine the manager runs on, when micado did not make one. */
  engine?: { url: string; advertise: string };
  /** The registry's read-only process, nodes' (see private-registry.ts). */
  registry?: ProcessRecord;
  /** The registry's read-write process, the manager's. */
  registryPush?: ProcessRecord;
  /** The `micado manager` daemon: autoscaler, monitor, /metrics. */
  autoscaler?: ProcessRecord;
  createdAt: string;
}

export function readState(file: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw hostError(`cluster state ${file} is unreadable: remove it and run micado down`, err);
  }
}

export function writeState(file: string, state: ClusterState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}

/** Take the cluster lock; a lock left by a process that is gone is taken over. */
export function takeLock(file: string): () => void {
  const release = tryLock(file);
  if (typeof release === 'function') return release;
  if (release > 0) throw hostError(`another micado up or down is running (pid ${release}): wait for it`); // prettier-ignore
  throw hostError(`could not take the cluster lock ${file}`);
}
