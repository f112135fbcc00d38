/**
 * Each daemon micado starts lives in a cgroup of its own, and so do its containers
 * (dockerd --cgroup-parent). The kernel then tells us every process that belongs to a
 * node, children of children included, so `stop` can leave nothing running even after
 * a crash, and so every cgroup directory micado made can be removed.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { killPid } from './process.js';

const ROOT = '/sys/fs/cgroup';

/** The hierarchy that tracks membership: cgroup v2's root, or v1's pids controller. */
function membershipRoot(): string {
  return existsSync(join(ROOT, 'cgroup.controllers')) ? ROOT : join(ROOT, 'pids');
}

/** Every mounted hierarchy (v1 has one per controller), where dockerd makes container cgroups. */
function allHierarchies(): string[] {
  if (existsSync(join(ROOT, 'cgroup.controllers'))) return [ROOT];
  return readdirSync(ROOT)
    .map((name) => join(ROOT, name))
    .filter((dir) => existsSync(join(dir, 'cgroup.procs')));
}

/** Create the membership cgroup at relative path `rel`; returns its cgroup.procs file. */
export function createCgroup(rel: string): string {
  const dir = join(membershipRoot(), rel);
  mkdirSync(dir, { recursive: true });
  return join(dir, 'cgroup.procs');
}

/** Pids in `rel` and every cgroup below it, in every hierarchy. */
export function pidsIn(rel: string): number[] {
  const pids = new Set<number>();
  for (const hierarchy of allHierarchies()) {
    for (const dir of subtree(join(hierarchy, rel))) {
      for (const line of readLines(join(dir, 'cgroup.procs'))) pids.add(Number(line));
    }
  }
  return [...pids].filter((pid) => pid > 0);
}

/** SIGKILL whatever still runs in `rel`, then remove its directories in every hierarchy. */
export async function destroyCgroup(rel: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pids = pidsIn(rel);
    if (pids.length === 0) break;
    pids.forEach(killPid);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const hierarchy of allHierarchies()) {
    // Deepest first: a cgroup directory can only be removed once it has no children.
    for (const dir of subtree(join(hierarchy, rel)).reverse()) removeDir(dir);
  }
}

/** `dir` and all directories below it, parents before children. */
function subtree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out = [dir];
  for (const name of readdirSync(dir)) {
    const child = join(dir, name);
    try {
      if (statSync(child).isDirectory()) out.push(...subtree(child));
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function removeDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Remove `rel` if nothing is left in it (a cluster's parent cgroup after its last node). */
export function removeEmptyCgroup(rel: string): void {
  for (const hierarchy of allHierarchies()) {
    const dir = join(hierarchy, rel);
    if (existsSync(dir) && subtree(dir).length === 1) removeDir(dir);
  }
}

export interface CgroupLimits {
  memoryBytes: number;
  /** CPU time per wall-clock second, in CPUs (1.5: one and a half). */
  cpus: number;
  pids: number;
}

const CPU_PERIOD_US = 100_000;

/**
 * Make cgroup `rel` with limits on all it holds, children included: memory (swap
 * counted in, where the kernel accounts it), CPU time and the number of tasks. cgroup
 * v2 writes them in one directory, once the controllers are handed down to it; v1 in
 * each controller's hierarchy.
 */
export function createLimitedCgroup(rel: string, limits: CgroupLimits): void {
  const quota = `${Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US))}`;
  if (existsSync(join(ROOT, 'cgroup.controllers'))) {
    const parts = rel.split('/');
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = join(ROOT, ...parts.slice(0, depth));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cgroup.subtree_control'), '+memory +pids +cpu');
    }
    const dir = join(ROOT, rel);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.max'), String(limits.memoryBytes));
    if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
    writeFileSync(join(dir, 'pids.max'), String(limits.pids));
    writeFileSync(join(dir, 'cpu.max'), `${quota} ${CPU_PERIOD_US}`);
    return;
  }
  const write = (controller: string, file: string, value: string) => {
    const dir = join(ROOT, controller, rel);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), value);
  };
  write('memory', 'memory.limit_in_bytes', String(limits.memoryBytes));
  if (existsSync(join(ROOT, 'memory', rel, 'memory.memsw.limit_in_bytes')))
    write('memory', 'memory.memsw.limit_in_bytes', String(limits.memoryBytes));
  write('pids', 'pids.max', String(limits.pids));
  write('cpu', 'cpu.cfs_period_us', String(CPU_PERIOD_US));
  write('cpu', 'cpu.cfs_quota_us', quota);
}
