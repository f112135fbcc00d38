/**
 * Each daemon micado starts lives in a cgroup of its own, and so do its containers
 * (dockerd --cgroup-parent). The kernel then tells us every process that belongs to a
 * node, children of children included, so `stop` can leave nothing running even after
 * a crash, and so every cgroup directory micado made can be removed.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, mkdirSync, statSync } from 'node:fs';
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
