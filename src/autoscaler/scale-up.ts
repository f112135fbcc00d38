/**
 * Scale-up: which nodes to ask for so that every pending task can run.
 *
 * Pending tasks, largest first, are placed in simulation on what exists (a task that
 * fits a Ready node is Swarm's to place), then on nodes asked for and not yet joined,
 * then on new nodes opened from the first pool that can hold the task (first-fit
 * decreasing over pool templates). Pools in backoff or cooldown, or at their max, and
 * the cluster-wide limits are respected. A task that no pool could ever hold (too
 * large for every flavour, or constraints no pool's nodes satisfy) is reported apart,
 * so it is not retried forever.
 */
import type { Flavour, NodePool } from '../config/config.js';
import { NODE_LABEL, nodeLabels } from '../cloud/cloud-driver.js';
import type { Amount, ClusterView, NodeTraits, PendingTask, TaskDemand } from './cluster-view.js';
import { satisfies } from './constraints.js';
import { isBackedOff, FRESH_POOL, type PoolState } from './pool-state.js';

export interface Limits {
  maxNodes: number;
  maxCpuMilli: number;
  maxMemoryMb: number;
}

export interface ScaleUpInput {
  view: ClusterView;
  pools: Record<string, NodePool>;
  flavours: Record<string, Flavour>;
  limits: Limits;
  poolStates: Map<string, PoolState>;
  scaleUpCooldownMs: number;
  now: number;
}

export interface NodeRequest {
  pool: string;
  count: number;
  /** Why: the services whose tasks the new nodes are for, or the pool's min. */
  for: string[];
}

export interface ScaleUpPlan {
  requests: NodeRequest[];
  /** Tasks no pool could ever hold, with why. */
  unplaceable: { task: PendingTask; why: string }[];
  /** Tasks that need a node no pool may start now (max, limits, backoff). */
  waiting: { task: PendingTask; why: string }[];
}

interface Bin {
  free: Amount;
  traits: NodeTraits;
}

const fits = (bin: Bin, task: TaskDemand) =>
  bin.free.cpuMilli >= task.cpuMilli &&
  bin.free.memoryMb >= task.memoryMb &&
  satisfies(bin.traits, task.constraints);

function take(bin: Bin, task: TaskDemand): void {
  bin.free.cpuMilli -= task.cpuMilli;
  bin.free.memoryMb -= task.memoryMb;
}

function capacityOf(flavour: Flavour): Amount {
  return { cpuMilli: Math.round(flavour.cpus * 1000), memoryMb: flavour.memoryMb };
}

/** The traits a node of the pool will have once it joins. */
export function poolTraits(name: string, pool: NodePool): NodeTraits {
  const labels = nodeLabels(
    {
      id: '',
      pool: name,
      flavour: pool.flavour,
      cloud: pool.cloud,
      labels: { ...pool.labels, [NODE_LABEL.autoscaled]: 'true' },
    },
    pool.driver,
  );
  delete labels[NODE_LABEL.instance];
  return { role: 'worker', hostname: undefined, nodeLabels: labels, engineLabels: labels };
}

/** Largest first: memory, then CPU. */
const bySizeDescending = (a: TaskDemand, b: TaskDemand) =>
  b.memoryMb - a.memoryMb || b.cpuMilli - a.cpuMilli;

export function planScaleUp(input: ScaleUpInput): ScaleUpPlan {
  const { view, pools, flavours, limits, now } = input;
  const poolNames = Object.keys(pools);
  const templates = new Map(
    poolNames.map((name) => [
      name,
      {
        traits: poolTraits(name, pools[name]!),
        capacity: capacityOf(flavours[pools[name]!.flavour]!),
      },
    ]),
  );

  const existing: Bin[] = view.nodes
    .filter((n) => n.role === 'worker' && n.ready && n.active && !n.scalingDown)
    .map((n) => ({
      free: {
        cpuMilli: n.capacity.cpuMilli - n.reserved.cpuMilli,
        memoryMb: n.capacity.memoryMb - n.reserved.memoryMb,
      },
      traits: n,
    }));
  const incoming: Bin[] = view.incoming
    .filter((i) => templates.has(i.pool))
    .map((i) => ({
      free: { ...templates.get(i.pool)!.capacity },
      traits: templates.get(i.pool)!.traits,
    }));

  // What each pool and the cluster hold now, nodes on their way included.
  const poolSize = new Map<string, number>(poolNames.map((p) => [p, 0]));
  const total = { nodes: 0, cpuMilli: 0, memoryMb: 0 };
  const workers = view.nodes.filter((n) => n.role === 'worker');
  for (const node of workers) {
    if (node.pool && poolSize.has(node.pool)) poolSize.set(node.pool, poolSize.get(node.pool)! + 1);
  }
  for (const node of workers) {
    total.nodes++;
    total.cpuMilli += node.capacity.cpuMilli;
    total.memoryMb += node.capacity.memoryMb;
  }
  for (const i of view.incoming) {
    if (poolSize.has(i.pool)) poolSize.set(i.pool, poolSize.get(i.pool)! + 1);
    const capacity = templates.get(i.pool)?.capacity;
    total.nodes++;
    total.cpuMilli += capacity?.cpuMilli ?? 0;
    total.memoryMb += capacity?.memoryMb ?? 0;
  }

  const requests = new Map<string, NodeRequest>();
  const opened: (Bin & { pool: string })[] = [];
  const blocked = (name: string): string | undefined => {
    const state = input.poolStates.get(name) ?? FRESH_POOL;
    if (isBackedOff(state, now)) return `pool ${name} is backed off after failed starts`;
    if (now - state.lastScaleUp < input.scaleUpCooldownMs) return `pool ${name} is cooling down`;
    if (poolSize.get(name)! >= pools[name]!.max)
      return `pool ${name} is at its max of ${pools[name]!.max}`;
    const capacity = templates.get(name)!.capacity;
    if (total.nodes + 1 > limits.maxNodes)
      return `the cluster is at its limit of ${limits.maxNodes} nodes`;
    if (
      total.cpuMilli + capacity.cpuMilli > limits.maxCpuMilli ||
      total.memoryMb + capacity.memoryMb > limits.maxMemoryMb
    ) {
      return 'the cluster is at its CPU or memory limit';
    }
    return undefined;
  };
  const open = (name: string, reason: string): Bin & { pool: string } => {
    const template = templates.get(name)!;
    const bin = { free: { ...template.capacity }, traits: template.traits, pool: name };
    opened.push(bin);
    poolSize.set(name, poolSize.get(name)! + 1);
    total.nodes++;
    total.cpuMilli += template.capacity.cpuMilli;
    total.memoryMb += template.capacity.memoryMb;
    const request = requests.get(name) ?? { pool: name, count: 0, for: [] };
    request.count++;
    if (!request.for.includes(reason)) request.for.push(reason);
    requests.set(name, request);
    return bin;
  };

  // Each pool's min first: those nodes take tasks like any other.
  for (const name of poolNames) {
    while (poolSize.get(name)! < pools[name]!.min && !blocked(name))
      open(name, `min ${pools[name]!.min}`);
  }

  const unplaceable: ScaleUpPlan['unplaceable'] = [];
  const waiting: ScaleUpPlan['waiting'] = [];
  for (const task of [...view.pending].sort(bySizeDescending)) {
    const placed =
      existing.find((b) => fits(b, task)) ??
      incoming.find((b) => fits(b, task)) ??
      opened.find((b) => fits(b, task));
    if (placed) {
      take(placed, task);
      // A node this plan opens is for every service whose task it takes.
      const request = 'pool' in placed ? requests.get(placed.pool as string) : undefined;
      if (request && !request.for.includes(task.service)) request.for.push(task.service);
      continue;
    }
    const able = poolNames.filter((name) => {
      const template = templates.get(name)!;
      return fits({ free: { ...template.capacity }, traits: template.traits }, task);
    });
    if (able.length === 0) {
      // Without pools nodes are started by hand: a task waits for one, as it would in Swarm.
      if (poolNames.length === 0) waiting.push({ task, why: 'no node pool is configured' });
      else unplaceable.push({ task, why: noPoolWhy(task, poolNames, templates) });
      continue;
    }
    const reasons = able.map((name) => ({ name, why: blocked(name) }));
    const chosen = reasons.find((r) => !r.why);
    if (!chosen) {
      waiting.push({ task, why: reasons.map((r) => r.why).join('; ') });
      continue;
    }
    take(open(chosen.name, task.service), task);
  }
  return { requests: [...requests.values()], unplaceable, waiting };
}

function noPoolWhy(
  task: TaskDemand,
  poolNames: string[],
  templates: Map<string, { traits: NodeTraits; capacity: Amount }>,
): string {
  const size = `${task.cpuMilli}m CPU, ${task.memoryMb} MB`;
  const matching = poolNames.filter((p) => satisfies(templates.get(p)!.traits, task.constraints));
  if (matching.length === 0) {
    return `no pool's nodes satisfy its constraints (${task.constraints.join(', ')})`;
  }
  return `it reserves ${size}, more than a node of ${matching.join(', ')} has`;
}
