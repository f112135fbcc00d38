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
import { cheapestNodes, type NodeChoice } from './cheapest-nodes.js';

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
  /** The flavour of these nodes, when the pool has several (else its flavour). */
  flavour?: string;
  count: number;
  /** Why: the services whose tasks the new nodes are for, the pool's min or warm buffer. */
  for: string[];
  /** How many of them are to be kept warm (absent: none). */
  warm?: number;
  /** Why these flavours: their price, and what else was weighed (a pool of several). */
  why?: string;
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
  /** What it takes, when this plan opened it for tasks (its flavour may be chosen later). */
  taken?: TaskDemand[];
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

/** The flavours a pool's new nodes may be: its list, or its one flavour. */
export const poolFlavours = (pool: NodePool) => pool.flavours ?? [pool.flavour];

/**
 * What a new node of each pool would be. A pool of several flavours is simulated with
 * its largest (the most a new node could hold); which flavours to start is weighed
 * once the plan knows what its new nodes take (cheapest-nodes.ts).
 */
function templatesOf(
  pools: Record<string, NodePool>,
  flavours: Record<string, Flavour>,
): Templates {
  return new Map(
    Object.entries(pools).map(([name, pool]) => {
      const largest = poolFlavours(pool)
        .map((f) => flavourAmount(flavours[f]!))
        .reduce((a, b) => (b.memoryMb > a.memoryMb || (b.memoryMb === a.memoryMb && b.cpuMilli > a.cpuMilli) ? b : a)); // prettier-ignore
      return [name, { traits: poolTraits(name, pool), capacity: largest }];
    }),
  );
}

/**
 * Ready, schedulable workers; and on their way, the nodes asked for that have not
 * joined and the joined ones coming back from a reboot.
 */
function binsOf(
  view: ClusterView,
  templates: Templates,
  flavours: Record<string, Flavour>,
  returning: ReadonlySet<string>,
): { existing: Bin[]; incoming: Bin[] } {
  const schedulable = (n: NodeView) => n.role === 'worker' && n.active && !n.scalingDown;
  const existing = view.nodes.filter((n) => schedulable(n) && n.ready).map(roomOn);
  const incoming = view.incoming
    .filter((i) => templates.has(i.pool))
    .map((i) =>
      emptyRoom(
        i.flavour && flavours[i.flavour] ? flavourAmount(flavours[i.flavour]!) : templates.get(i.pool)!.capacity, // prettier-ignore
        templates.get(i.pool)!.traits,
      ),
    );
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

  /**
   * Open a node of the pool for `reason` (a service, or the pool's min), of its
   * template's size, or `capacity` (the pool's own flavour, for its min and warm nodes).
   */
  open(name: string, reason: string, capacity?: Amount): Bin {
    const template = this.templates.get(name)!;
    const bin: Bin = { ...emptyRoom(capacity ?? template.capacity, template.traits), pool: name };
    this.opened.push(bin);
    this.count(name, template.capacity);
    const request = this.requests.get(name) ?? { pool: name, count: 0, for: [] };
    request.count++;
    this.requests.set(name, request);
    this.name(bin, reason);
    return bin;
  }

  /** `planned` task nodes of pool `name` become `choice`'s nodes: one request per flavour. */
  reprice(name: string, planned: number, choice: NodeChoice, services: string[]): void {
    const request = this.requests.get(name)!;
    request.count -= planned;
    request.for = request.for.filter((f) => !services.includes(f));
    if (request.count === 0) this.requests.delete(name);
    for (const { flavour, count } of choice.nodes) {
      this.requests.set(`${name}/${flavour}`, { pool: name, flavour, count, for: services, why: choice.why }); // prettier-ignore
    }
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
  const { existing, incoming } = binsOf(view, templates, flavours, input.returning ?? new Set());
  const budget = new Budget(input, templates);
  /** A pool's own flavour's size: what its min and warm nodes are. */
  const own = (name: string) => flavourAmount(flavours[pools[name]!.flavour]!);

  // Each pool's min first: those nodes take tasks like any other.
  for (const name of poolNames) {
    while (budget.size(name) < pools[name]!.min && !budget.blocked(name))
      budget.open(name, `min ${pools[name]!.min}`, own(name));
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
      placed.taken?.push(task);
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
    const bin = budget.open(chosen.name, task.service);
    place(bin, task);
    bin.taken = [task];
  }
  priceNewNodes(input, budget);

  // Each pool's warm buffer: warm nodes not woken, and warm ones on their way.
  for (const name of poolNames) {
    const wanted = pools[name]!.warm ?? 0;
    let kept =
      warm.filter((b) => b.node.pool === name && !activate.some((a) => a.node === b.node)).length +
      view.incoming.filter((i) => i.pool === name && i.warm).length;
    while (kept < wanted && !budget.blocked(name)) {
      budget.open(name, `warm ${wanted}`, own(name));
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

/**
 * For each pool of several flavours, the nodes this plan opened for tasks become the
 * cheapest set that holds those tasks (cheapest-nodes.ts), one request per flavour,
 * saying why. Kept as planned (the largest flavour) when the cheapest set would need
 * more nodes than the pool may still start, or when the tasks publish host ports (two
 * of a port never share a node, which the pricing does not weigh).
 */
function priceNewNodes(input: ScaleUpInput, budget: Budget): void {
  for (const [name, pool] of Object.entries(input.pools)) {
    if (poolFlavours(pool).length < 2) continue;
    const bins = budget.opened.filter((b) => b.pool === name && b.taken);
    const tasks = bins.flatMap((b) => b.taken!);
    if (tasks.length === 0 || tasks.some((t) => (t.hostPorts ?? []).length > 0)) continue;
    const priced = poolFlavours(pool).map((f) => ({ name: f, capacity: flavourAmount(input.flavours[f]!), pricePerHour: input.flavours[f]!.pricePerHour ?? 0 })); // prettier-ignore
    const choice = cheapestNodes(tasks, priced);
    const count = choice.nodes.reduce((sum, n) => sum + n.count, 0);
    if (choice.unplaceable.length > 0 || count > bins.length + (pool.max - budget.size(name))) continue; // prettier-ignore
    budget.reprice(name, bins.length, choice, [...new Set(tasks.map((t) => t.service))]);
  }
}
