/**
 * A week of a cluster's life on a simulated clock, through the autoscaler's pure
 * decisions: a seeded workload (arrivals with a daily swing, departures, mixed sizes),
 * Swarm's placement (spread: the node with the fewest tasks that holds the task), nodes
 * that take a while to boot and are billed from their request, and a policy that reads
 * the cluster each minute and starts, gives back or replaces nodes.
 *
 * Reported per policy: cost (node-hours × price), task moves per day (tasks displaced
 * from nodes given back), and the longest a new task waited for room. The lower bound
 * is the cheapest fractional cover of what the tasks reserve, minute by minute: no
 * policy that runs every task can cost less.
 */
import type { Flavour, NodePool } from '../src/config/config.js';
import type { ClusterView, NodeView, TaskDemand } from '../src/autoscaler/cluster-view.js';
import { planConsolidation, type ConsolidationSettings } from '../src/autoscaler/consolidation.js';
import { FRESH_POOL, type PoolState } from '../src/autoscaler/pool-state.js';
import { planScaleDown, type ScaleDownSettings } from '../src/autoscaler/scale-down.js';
import { planScaleUp } from '../src/autoscaler/scale-up.js';
import { flavourAmount, fits, type Amount } from '../src/swarm/capacity.js';
import { NODE_LABEL } from '../src/swarm/labels.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface TraceTask extends TaskDemand {
  arrive: number;
  depart: number;
}

/** The seeded week: arrivals peak in the afternoon, and a tenth of the tasks stay days. */
export function syntheticWeek(seed: number, days = 7): TraceTask[] {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sizes = [
    { cpuMilli: 100, memoryMb: 128 },
    { cpuMilli: 250, memoryMb: 256 },
    { cpuMilli: 250, memoryMb: 512 },
    { cpuMilli: 500, memoryMb: 1024 },
    { cpuMilli: 1000, memoryMb: 1024 },
    { cpuMilli: 500, memoryMb: 3072 },
    { cpuMilli: 2000, memoryMb: 2048 },
  ];
  const tasks: TraceTask[] = [];
  for (let t = 0; t < days * DAY; t += MINUTE) {
    const hour = (t % DAY) / HOUR;
    // Arrivals per minute: 0.1 at night, 1 at 15:00.
    const rate = 0.1 + 0.9 * Math.max(0, Math.sin(((hour - 6) / 18) * Math.PI));
    let arrivals = 0;
    for (let p = Math.exp(-rate), u = random(); u > p; u *= random()) arrivals++;
    for (let i = 0; i < arrivals; i++) {
      const size = sizes[Math.floor(random() * sizes.length)]!;
      const long = random() < 0.1;
      const stay = long ? (1 + random() * 3) * DAY : (-Math.log(1 - random()) * 90 + 5) * MINUTE;
      const id = `t${tasks.length}`;
      tasks.push({ id, service: id, slot: `${id}.1`, constraints: [], ...size, arrive: t, depart: t + stay }); // prettier-ignore
    }
  }
  return tasks;
}

export interface ReplayPolicy {
  name: string;
  pools: Record<string, NodePool>;
  scaleDown: ScaleDownSettings;
  consolidation?: ConsolidationSettings & { consolidateAfterMs: number };
}

export interface ReplayResult {
  policy: string;
  cost: number;
  nodeHours: number;
  movesPerDay: number;
  peakPendingMinutes: number;
  /** How long the policy's decisions took in all (ms). */
  decideMs: number;
  /** Task moves by what made them: scale-down, delete, replace. */
  bySource: Record<string, number>;
  /** Tasks that never ran (none of the policy's nodes could hold them). */
  unplaced: number;
}

interface SimNode {
  id: string;
  pool: string;
  flavour: string;
  capacity: Amount;
  requestedAt: number;
  readyAt: number;
  paused: boolean;
  /** The nodes this one replaces: given back once it is Ready. */
  replaces?: string[];
  tasks: Set<TraceTask>;
}

const BOOT_MS = 2 * MINUTE;

export function replay(
  trace: TraceTask[],
  flavours: Record<string, Flavour>,
  policy: ReplayPolicy,
  days = 7,
): ReplayResult {
  const nodes = new Map<string, SimNode>();
  const pending: TraceTask[] = [];
  const placedAt = new Map<TraceTask, number>();
  const poolStates = new Map<string, PoolState>();
  const movedAt = new Map<string, number>();
  let unneededSince = new Map<string, number>();
  let lastScaleUp = -Infinity;
  let lastChange = -Infinity;
  let nextId = 0;
  let cost = 0;
  let nodeMinutes = 0;
  let moves = 0;
  let peakPending = 0;
  let decideMs = 0;
  let arrival = 0;
  const byDeparture = [...trace].sort((a, b) => a.depart - b.depart);
  let departure = 0;

  const open = (pool: string, flavour: string, now: number, replaces?: string[]) => {
    const id = `n${nextId++}`;
    nodes.set(id, { id, pool, flavour, capacity: flavourAmount(flavours[flavour]!), requestedAt: now, readyAt: now + BOOT_MS, paused: false, replaces, tasks: new Set() }); // prettier-ignore
  };
  const bySource: Record<string, number> = {};
  const giveBack = (node: SimNode, source = 'scale-down') => {
    for (const task of node.tasks) {
      pending.push(task);
      moves++;
      bySource[source] = (bySource[source] ?? 0) + 1;
    }
    nodes.delete(node.id);
  };
  const free = (node: SimNode): Amount => {
    let cpuMilli = node.capacity.cpuMilli;
    let memoryMb = node.capacity.memoryMb;
    for (const t of node.tasks) {
      cpuMilli -= t.cpuMilli;
      memoryMb -= t.memoryMb;
    }
    return { cpuMilli, memoryMb };
  };
  /** Swarm's spread: of the Ready, active nodes that hold it, the one with fewest tasks. */
  const placePending = (now: number) => {
    const ready = [...nodes.values()].filter((n) => now >= n.readyAt && !n.paused);
    const room = new Map(ready.map((n) => [n, free(n)]));
    for (const task of pending.splice(0)) {
      let best: SimNode | undefined;
      for (const node of ready) {
        if (!fits(room.get(node)!, task)) continue;
        if (!best || node.tasks.size < best.tasks.size) best = node;
      }
      if (!best) {
        pending.push(task);
        continue;
      }
      best.tasks.add(task);
      const left = room.get(best)!;
      left.cpuMilli -= task.cpuMilli;
      left.memoryMb -= task.memoryMb;
      if (!placedAt.has(task)) {
        placedAt.set(task, now);
        peakPending = Math.max(peakPending, (now - task.arrive) / MINUTE);
      }
    }
  };
  const viewOf = (now: number): ClusterView => {
    const views: NodeView[] = [];
    const incoming: ClusterView['incoming'] = [];
    for (const n of nodes.values()) {
      if (now < n.readyAt) {
        incoming.push({ pool: n.pool, instance: n.id, flavour: n.flavour });
        continue;
      }
      const labels = { [NODE_LABEL.pool]: n.pool, [NODE_LABEL.flavour]: n.flavour, [NODE_LABEL.instance]: n.id, [NODE_LABEL.autoscaled]: 'true' }; // prettier-ignore
      const tasks = [...n.tasks];
      const capacity = n.capacity;
      views.push({
        id: n.id,
        role: 'worker',
        hostname: n.id,
        nodeLabels: labels,
        engineLabels: labels,
        instance: n.id,
        pool: n.pool,
        flavour: n.flavour,
        driver: 'sim',
        autoscaled: true,
        scalingDown: n.paused,
        ready: true,
        active: !n.paused,
        warm: false,
        doNotDisrupt: false,
        capacity,
        reserved: {
          cpuMilli: capacity.cpuMilli - free(n).cpuMilli,
          memoryMb: capacity.memoryMb - free(n).memoryMb,
        },
        tasks, // prettier-ignore
      });
    }
    return {
      nodes: views,
      pending: pending.map((t) => ({ ...t, reason: 'no suitable node' })),
      incoming,
    };
  };

  for (let now = 0; now < days * DAY; now += MINUTE) {
    while (departure < byDeparture.length && byDeparture[departure]!.depart <= now) {
      const task = byDeparture[departure++]!;
      for (const node of nodes.values()) node.tasks.delete(task);
      const waiting = pending.indexOf(task);
      if (waiting >= 0) pending.splice(waiting, 1);
    }
    while (arrival < trace.length && trace[arrival]!.arrive <= now) {
      if (trace[arrival]!.depart > now) pending.push(trace[arrival]!);
      arrival++;
    }
    // A replacement Ready: the nodes it replaces go, their tasks to it (and the others).
    for (const node of [...nodes.values()]) {
      if (!node.replaces || now < node.readyAt) continue;
      for (const old of node.replaces) if (nodes.has(old)) giveBack(nodes.get(old)!, 'replace');
      node.replaces = undefined;
      lastChange = now;
    }
    placePending(now);

    const started = performance.now();
    const view = viewOf(now);
    const up = planScaleUp({
      view,
      pools: policy.pools,
      flavours,
      limits: { maxNodes: 1e6, maxCpuMilli: 1e12, maxMemoryMb: 1e12 },
      poolStates,
      scaleUpCooldownMs: 0,
      now,
    });
    for (const request of up.requests) {
      for (let i = 0; i < request.count; i++)
        open(request.pool, request.flavour ?? policy.pools[request.pool]!.flavour, now);
      lastScaleUp = lastChange = now;
    }
    const down = planScaleDown({
      view,
      pools: policy.pools,
      settings: policy.scaleDown,
      poolStates,
      unneededSince,
      lastScaleUp,
      now,
    });
    unneededSince = down.unneededSince;
    for (const gone of down.remove) {
      for (const t of gone.tasks) if (t.slot) movedAt.set(t.slot, now);
      giveBack(nodes.get(gone.id)!);
      const state = poolStates.get(gone.pool!) ?? FRESH_POOL;
      poolStates.set(gone.pool!, { ...state, lastScaleDown: now });
      lastChange = now;
    }
    const consolidation = policy.consolidation;
    if (consolidation && now - lastChange >= consolidation.consolidateAfterMs) {
      const plan = planConsolidation({
        view: viewOf(now),
        pools: policy.pools,
        flavours,
        settings: consolidation,
        movedAt,
        now,
      });
      for (const move of plan.moves) {
        for (const t of move.moves) if (t.slot) movedAt.set(t.slot, now);
        lastChange = now;
        if (move.kind === 'delete') {
          for (const n of move.nodes) giveBack(nodes.get(n.id)!, 'delete');
          continue;
        }
        for (const n of move.nodes) nodes.get(n.id)!.paused = true;
        open(
          move.pool,
          move.flavour!,
          now,
          move.nodes.map((n) => n.id),
        );
      }
    }
    decideMs += performance.now() - started;
    placePending(now);

    for (const node of nodes.values()) {
      cost += (flavours[node.flavour]!.pricePerHour ?? 0) / 60;
      nodeMinutes++;
    }
  }
  return {
    policy: policy.name,
    cost,
    nodeHours: nodeMinutes / 60,
    movesPerDay: moves / days,
    peakPendingMinutes: peakPending,
    decideMs,
    bySource,
    unplaced: trace.filter((t) => !placedAt.has(t) && t.depart > t.arrive).length,
  };
}

/**
 * The cheapest fractional cover of what the tasks reserve, minute by minute: the least
 * price of any mix of flavours (fractions of nodes allowed) whose CPU and memory reach
 * what runs. A linear program of two constraints: its optimum uses one flavour or two.
 */
export function lowerBound(
  trace: TraceTask[],
  flavours: Record<string, Flavour>,
  days = 7,
): number {
  const offer = Object.values(flavours).map((f) => ({ ...flavourAmount(f), price: f.pricePerHour ?? 0 })); // prettier-ignore
  const cover = (cpu: number, memory: number): number => {
    let best = Infinity;
    for (const a of offer) best = Math.min(best, a.price * Math.max(cpu / a.cpuMilli, memory / a.memoryMb)); // prettier-ignore
    for (const a of offer)
      for (const b of offer) {
        // x·a + y·b meets both exactly: solve the 2×2 system.
        const det = a.cpuMilli * b.memoryMb - b.cpuMilli * a.memoryMb;
        if (det === 0) continue;
        const x = (cpu * b.memoryMb - b.cpuMilli * memory) / det;
        const y = (a.cpuMilli * memory - cpu * a.memoryMb) / det;
        if (x >= 0 && y >= 0) best = Math.min(best, x * a.price + y * b.price);
      }
    return best;
  };
  const events: { at: number; cpu: number; memory: number }[] = [];
  for (const t of trace) {
    events.push({ at: t.arrive, cpu: t.cpuMilli, memory: t.memoryMb });
    events.push({ at: t.depart, cpu: -t.cpuMilli, memory: -t.memoryMb });
  }
  events.sort((a, b) => a.at - b.at);
  let cpu = 0;
  let memory = 0;
  let total = 0;
  let e = 0;
  for (let now = 0; now < days * DAY; now += MINUTE) {
    while (e < events.length && events[e]!.at <= now) {
      cpu += events[e]!.cpu;
      memory += events[e]!.memory;
      e++;
    }
    total += cover(cpu, memory) / 60;
  }
  return total;
}
