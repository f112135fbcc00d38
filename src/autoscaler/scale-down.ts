/**
 * Scale-down: which of the nodes the manager started to give back.
 *
 * A node is unneeded while what its tasks reserve is under the threshold share of both
 * its CPU and its memory; once unneeded for the unneeded time, and if its tasks fit on
 * the nodes that stay, it is given back. Never the manager, never a node started by
 * hand, never below a pool's min, not while tasks wait for room or nodes are on their
 * way, not within the delay after any scale-up, and not within a pool's cooldown.
 * Empty nodes go together; of the others, one per cycle, as its tasks must move.
 *
 * Warm nodes are not given back while the pool wants them; those beyond its `warm` (it
 * was lowered) go at once. An empty node due to go back while its pool is short of warm
 * nodes is kept warm instead.
 */
import type { NodePool } from '../config/config.js';
import { largestFirst } from '../swarm/capacity.js';
import type { ClusterView, NodeView, TaskDemand } from './cluster-view.js';
import { canHold, place, roomOn, type Room } from './placement.js';
import { FRESH_POOL, type PoolState } from './pool-state.js';

export interface ScaleDownSettings {
  scaleDownUtilization: number;
  scaleDownUnneededMs: number;
  scaleDownDelayAfterUpMs: number;
  scaleDownCooldownMs: number;
}

export interface ScaleDownInput {
  view: ClusterView;
  pools: Record<string, NodePool>;
  settings: ScaleDownSettings;
  poolStates: Map<string, PoolState>;
  /** When each node became unneeded, as of the previous cycle. */
  unneededSince: Map<string, number>;
  /** The last scale-up of any pool. */
  lastScaleUp: number;
  now: number;
}

export interface ScaleDownPlan {
  unneededSince: Map<string, number>;
  remove: NodeView[];
  /** Empty nodes due to go back that their pool keeps warm instead. */
  keepWarm: NodeView[];
}

export function utilization(node: NodeView): number {
  const cpu = node.capacity.cpuMilli > 0 ? node.reserved.cpuMilli / node.capacity.cpuMilli : 1;
  const memory = node.capacity.memoryMb > 0 ? node.reserved.memoryMb / node.capacity.memoryMb : 1;
  return Math.max(cpu, memory);
}

export function planScaleDown(input: ScaleDownInput): ScaleDownPlan {
  const { view, pools, settings, now } = input;
  const candidates = view.nodes.filter(
    (n) =>
      n.role === 'worker' &&
      n.autoscaled &&
      n.ready &&
      n.active &&
      !n.scalingDown &&
      n.pool !== undefined &&
      pools[n.pool] !== undefined &&
      utilization(n) < settings.scaleDownUtilization,
  );
  const unneededSince = new Map(
    candidates.map((n) => [n.id, input.unneededSince.get(n.id) ?? now] as const),
  );
  const remove: NodeView[] = [];
  const keepWarm: NodeView[] = [];
  if (view.pending.length > 0 || view.incoming.length > 0)
    return { unneededSince, remove, keepWarm };
  if (now - input.lastScaleUp < settings.scaleDownDelayAfterUpMs)
    return { unneededSince, remove, keepWarm };

  const poolSize = new Map<string, number>();
  for (const n of view.nodes) if (n.pool) poolSize.set(n.pool, (poolSize.get(n.pool) ?? 0) + 1);
  const warmIn = new Map<string, number>();
  for (const n of view.nodes.filter((n) => n.warm && n.autoscaled && n.pool && pools[n.pool])) {
    const kept = warmIn.get(n.pool!) ?? 0;
    if (kept < (pools[n.pool!]!.warm ?? 0) || poolSize.get(n.pool!)! - 1 < pools[n.pool!]!.min) {
      warmIn.set(n.pool!, kept + 1);
      continue;
    }
    remove.push(n);
    poolSize.set(n.pool!, poolSize.get(n.pool!)! - 1);
  }
  const eligible = candidates
    .filter((n) => now - unneededSince.get(n.id)! >= settings.scaleDownUnneededMs)
    .filter((n) => {
      const state = input.poolStates.get(n.pool!) ?? FRESH_POOL;
      return now - state.lastScaleDown >= settings.scaleDownCooldownMs;
    })
    .sort((a, b) => utilization(a) - utilization(b) || a.id.localeCompare(b.id));

  // What stays: Ready, schedulable workers not being given back.
  const staying = () =>
    view.nodes
      .filter((n) => n.role === 'worker' && n.ready && n.active && !n.scalingDown)
      .filter((n) => !remove.includes(n))
      .map(roomOn);
  let movedOne = false;
  for (const node of eligible) {
    const pool = node.pool!;
    if (node.tasks.length === 0 && (warmIn.get(pool) ?? 0) < (pools[pool]!.warm ?? 0)) {
      keepWarm.push(node);
      warmIn.set(pool, (warmIn.get(pool) ?? 0) + 1);
      continue;
    }
    if (poolSize.get(pool)! - 1 < pools[pool]!.min) continue;
    if (node.tasks.length > 0) {
      if (movedOne) continue;
      const others = staying().filter((s) => s.traits !== node);
      if (!fitsElsewhere(node.tasks, others)) continue;
      movedOne = true;
    }
    remove.push(node);
    poolSize.set(pool, poolSize.get(pool)! - 1);
  }
  return { unneededSince, remove, keepWarm };
}

/** Whether the tasks can all be placed on the other nodes' room (largest first). */
function fitsElsewhere(tasks: TaskDemand[], others: Room[]): boolean {
  for (const task of [...tasks].sort(largestFirst)) {
    const target = others.find((o) => canHold(o, task));
    if (!target) return false;
    place(target, task);
  }
  return true;
}
