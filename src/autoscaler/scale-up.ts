/**
 * Scale-up: which nodes to ask for so that every pending task can run.
 *
 * Pending tasks, largest first, are placed in simulation on what exists (a task that
 * fits a Ready node is Swarm's to place), then on warm nodes (which the plan wakes:
 * one node update, no boot), then on nodes asked for and not yet joined, then on new
 * nodes opened from the first pool that can hold the task (first-fit decreasing over
 * pool templates). Then each pool's warm buffer is refilled to its `warm`. Pools in backoff or cooldown, or at their max, and
 * the cluster-wide limits are respected. A task that no pool could ever hold (too
 * large for every flavour, or constraints no pool's nodes satisfy) is reported apart,
 * so it is not retried forever.
 */
import type { Flavour, NodePool } from '../config/config.js';
import { nodeLabels } from '../cloud/cloud-driver.js';
import { flavourAmount, largestFirst, type Amount } from '../swarm/capacity.js';
import type { ClusterView, NodeTraits, NodeView, PendingTask, TaskDemand } from './cluster-view.js';
import { satisfies } from './constraints.js';
import { canHold, emptyRoom, place, roomOn, type Room } from './placement.js';
import { isBackedOff, FRESH_POOL, type PoolState } from './pool-state.js';
import { NODE_LABEL } from '../swarm/labels.js';

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
  /**
   * Joined workers down for less than the unready grace (rebooting): counted as on their
   * way back, with their capacity, so their tasks wait for them, not for a new node.
   */
  returning?: ReadonlySet<string>;
}

export interface NodeRequest {
  pool: string;
  count: number;
  /** Why: the services whose tasks the new nodes are for, the pool's min or warm buffer. */
  for: string[];
  /** How many of them are to be kept warm (absent: none). */
  warm?: number;
}

export interface ScaleUpPlan {
  requests: NodeRequest[];
  /** Warm nodes that pending tasks fit, and those tasks' services: made active for Swarm to place them. */
  activate: { node: NodeView; for: string[] }[];
  /** Tasks no pool could ever hold, with why. */
  unplaceable: { task: PendingTask; why: string }[];
  /** Tasks that need a node no pool may start now (max, limits, backoff). */
  waiting: { task: PendingTask; why: string }[];
}

/** A node in the simulation: real, on its way, or opened by this plan. */
interface Bin extends Room {
  /** The pool a node opened by this plan comes from. */
  pool?: string;
}

/** What a new node of each pool would be. */
type Templates = Map<string, { traits: NodeTraits; capacity: Amount }>;

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

function templatesOf(
  pools: Record<string, NodePool>,
  flavours: Record<string, Flavour>,
): Templates {
  return new Map(
    Object.entries(pools).map(([name, pool]) => [
      name,
      { traits: poolTraits(name, pool), capacity: flavourAmount(flavours[pool.flavour]!) },
    ]),
  );
}

/**
 * Ready, schedulable workers; and on their way, the nodes asked for that have not
 * joined and the joined ones coming back from a reboot.
 */
function binsOf(
  view: ClusterView,
  templates: Templates,
  returning: ReadonlySet<string>,
): { existing: Bin[]; incoming: Bin[] } {
  const schedulable = (n: NodeView) => n.role === 'worker' && n.active && !n.scalingDown;
  const existing = view.nodes.filter((n) => schedulable(n) && n.ready).map(roomOn);
  const incoming = view.incoming
    .filter((i) => templates.has(i.pool))
    .map((i) => emptyRoom(templates.get(i.pool)!.capacity, templates.get(i.pool)!.traits));
  for (const node of view.nodes)
    if (schedulable(node) && !node.ready && returning.has(node.id)) incoming.push(roomOn(node));
  return { existing, incoming };
}

/**
 * What each pool and the cluster hold, nodes on their way included, and the nodes this
 * plan asks for: a pool may open a node unless backed off, cooling down, at its max, or
 * the cluster is at a limit.
 */
class Budget {
  readonly requests = new Map<string, NodeRequest>();
  readonly opened: Bin[] = [];
  private readonly poolSize = new Map<string, number>();
  private readonly total = { nodes: 0, cpuMilli: 0, memoryMb: 0 };

  constructor(
    private readonly input: ScaleUpInput,
    private readonly templates: Templates,
  ) {
    for (const name of Object.keys(input.pools)) this.poolSize.set(name, 0);
    for (const node of input.view.nodes.filter((n) => n.role === 'worker'))
      this.count(node.pool, node.capacity);
    for (const i of input.view.incoming) this.count(i.pool, templates.get(i.pool)?.capacity);
  }

  size(pool: string): number {
    return this.poolSize.get(pool)!;
  }

  /** Why the pool may not open a node now, or undefined when it may. */
  blocked(name: string): string | undefined {
    const { pools, limits, poolStates, scaleUpCooldownMs, now } = this.input;
    const state = poolStates.get(name) ?? FRESH_POOL;
    if (isBackedOff(state, now)) return `pool ${name} is backed off after failed starts`;
    if (now - state.lastScaleUp < scaleUpCooldownMs) return `pool ${name} is cooling down`;
    if (this.size(name) >= pools[name]!.max)
      return `pool ${name} is at its max of ${pools[name]!.max}`;
    const capacity = this.templates.get(name)!.capacity;
    if (this.total.nodes + 1 > limits.maxNodes)
      return `the cluster is at its limit of ${limits.maxNodes} nodes`;
    if (
      this.total.cpuMilli + capacity.cpuMilli > limits.maxCpuMilli ||
      this.total.memoryMb + capacity.memoryMb > limits.maxMemoryMb
    ) {
      return 'the cluster is at its CPU or memory limit';
    }
    return undefined;
  }

  /** Open a node of the pool for `reason` (a service, or the pool's min). */
  open(name: string, reason: string): Bin {
    const template = this.templates.get(name)!;
    const bin: Bin = { ...emptyRoom(template.capacity, template.traits), pool: name };
    this.opened.push(bin);
    this.count(name, template.capacity);
    const request = this.requests.get(name) ?? { pool: name, count: 0, for: [] };
    request.count++;
    this.requests.set(name, request);
    this.name(bin, reason);
    return bin;
  }

  /** A node this plan opens is for every service whose task it takes. */
  name(bin: Bin, reason: string): void {
    const request = bin.pool === undefined ? undefined : this.requests.get(bin.pool);
    if (request && !request.for.includes(reason)) request.for.push(reason);
  }

  private count(pool: string | undefined, capacity: Amount | undefined): void {
    if (pool !== undefined && this.poolSize.has(pool))
      this.poolSize.set(pool, this.poolSize.get(pool)! + 1);
    this.total.nodes++;
    this.total.cpuMilli += capacity?.cpuMilli ?? 0;
    this.total.memoryMb += capacity?.memoryMb ?? 0;
  }
}

export function planScaleUp(input: ScaleUpInput): ScaleUpPlan {
  const { view, pools, flavours } = input;
  const poolNames = Object.keys(pools);
  const templates = templatesOf(pools, flavours);
  const { existing, incoming } = binsOf(view, templates, input.returning ?? new Set());
  const budget = new Budget(input, templates);

  // Each pool's min first: those nodes take tasks like any other.
  for (const name of poolNames) {
    while (budget.size(name) < pools[name]!.min && !budget.blocked(name))
      budget.open(name, `min ${pools[name]!.min}`);
  }
  const warm = view.nodes
    .filter((n) => n.role === 'worker' && n.warm && n.ready && n.pool && templates.has(n.pool))
    .map((n) => ({ ...roomOn(n), node: n }));
  const activate: ScaleUpPlan['activate'] = [];

  const unplaceable: ScaleUpPlan['unplaceable'] = [];
  const waiting: ScaleUpPlan['waiting'] = [];
  for (const task of [...view.pending].sort(largestFirst)) {
    const woken = warm.find((b) => canHold(b, task));
    if (woken) {
      place(woken, task);
      const entry = activate.find((a) => a.node === woken.node);
      if (!entry) activate.push({ node: woken.node, for: [task.service] });
      else if (!entry.for.includes(task.service)) entry.for.push(task.service);
      continue;
    }
    const placed =
      existing.find((b) => canHold(b, task)) ??
      incoming.find((b) => canHold(b, task)) ??
      budget.opened.find((b) => canHold(b, task));
    if (placed) {
      place(placed, task);
      budget.name(placed, task.service);
      continue;
    }
    const able = poolNames.filter((name) => {
      const template = templates.get(name)!;
      return canHold(emptyRoom(template.capacity, template.traits), task);
    });
    if (able.length === 0) {
      // Without pools nodes are started by hand: a task waits for one, as it would in Swarm.
      if (poolNames.length === 0) waiting.push({ task, why: 'no node pool is configured' });
      else unplaceable.push({ task, why: noPoolWhy(task, poolNames, templates) });
      continue;
    }
    const reasons = able.map((name) => ({ name, why: budget.blocked(name) }));
    const chosen = reasons.find((r) => !r.why);
    if (!chosen) {
      waiting.push({ task, why: reasons.map((r) => r.why).join('; ') });
      continue;
    }
    place(budget.open(chosen.name, task.service), task);
  }

  // Each pool's warm buffer: warm nodes not woken, and warm ones on their way.
  for (const name of poolNames) {
    const wanted = pools[name]!.warm ?? 0;
    let kept =
      warm.filter((b) => b.node.pool === name && !activate.some((a) => a.node === b.node)).length +
      view.incoming.filter((i) => i.pool === name && i.warm).length;
    while (kept < wanted && !budget.blocked(name)) {
      budget.open(name, `warm ${wanted}`);
      const request = budget.requests.get(name)!;
      request.warm = (request.warm ?? 0) + 1;
      kept++;
    }
  }
  return { requests: [...budget.requests.values()], activate, unplaceable, waiting };
}

function noPoolWhy(task: TaskDemand, poolNames: string[], templates: Templates): string {
  const size = `${task.cpuMilli}m CPU, ${task.memoryMb} MB`;
  const matching = poolNames.filter((p) => satisfies(templates.get(p)!.traits, task.constraints));
  if (matching.length === 0) {
    return `no pool's nodes satisfy its constraints (${task.constraints.join(', ')})`;
  }
  return `it reserves ${size}, more than a node of ${matching.join(', ')} has`;
}
