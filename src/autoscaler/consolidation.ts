/**
 * Consolidation: nodes that cost more than what they hold needs. Two moves, as the
 * cluster stands (no task waiting, no node on its way):
 *
 * - delete: a node whose tasks all fit on the other nodes is drained and given back;
 * - replace: a set of a pool's nodes whose tasks fit on the other nodes and on one new
 *   node of a cheaper price than the set is replaced: the new node is started, and once
 *   Ready the old ones are drained and given back (the autoscaler, through the ledger).
 *
 * A move is made only when what it saves is worth what it disturbs: the score is the
 * share of the cluster's price per hour saved over the share of its running tasks
 * moved (a move that saves 10% of the bill by moving 5% of the tasks scores 2), and
 * must reach `consolidationMinScore`. An empty node scores without bound.
 *
 * Never moved: a task whose service says `micado.do-not-disrupt`, a task moved within
 * `minTaskStayHours` (by its service and slot, which survive the move), anything on a
 * node labelled `micado.do-not-disrupt`. Never a node replaced by one of its own
 * flavour; never a pool below its min. At most `consolidationBudgetNodes` nodes, and at
 * most `consolidationBudgetPercent` of a pool's nodes, are disrupted at once (the nodes
 * being given back count). Candidates go fewest tasks first (Karpenter's order: the
 * cheapest to disrupt). Pure: the view, the settings and the time in, the moves out.
 */
import type { ConsolidationMode, Flavour, NodePool } from '../config/config.js';
import { flavourAmount, fits, largestFirst, sumOf, type Amount } from '../swarm/capacity.js';
import type { ClusterView, NodeView, TaskDemand } from './cluster-view.js';
import { canHold, emptyRoom, place, roomOn, type Room } from './placement.js';
import { poolFlavours, poolTraits } from './scale-up.js';

/** Nodes tried alone for a cheaper flavour when no run of them works (bounds the time). */
const SINGLE_TRIALS = 50;

export interface ConsolidationSettings {
  consolidation: ConsolidationMode;
  /** Saved share of the price over moved share of the tasks a move must reach. */
  consolidationMinScore: number;
  /** At most this many nodes of a pool disrupted at once… */
  consolidationBudgetNodes: number;
  /** …and at most this share of them (percent, rounded up to a whole node). */
  consolidationBudgetPercent: number;
  /** A task moved is not moved again for this long. */
  minTaskStayHours: number;
}

export interface ConsolidationInput {
  view: ClusterView;
  pools: Record<string, NodePool>;
  flavours: Record<string, Flavour>;
  settings: ConsolidationSettings;
  /** When each task slot (TaskDemand.slot) was last moved. */
  movedAt: ReadonlyMap<string, number>;
  now: number;
}

export interface Consolidation {
  kind: 'delete' | 'replace';
  pool: string;
  /** The nodes to drain and give back. */
  nodes: NodeView[];
  /** A replace: the flavour of the one new node started first. */
  flavour?: string;
  /** Price per hour saved (the nodes' less the new node's). */
  savingPerHour: number;
  /** The tasks it moves. */
  moves: TaskDemand[];
  score: number;
  why: string;
}

export interface ConsolidationPlan {
  moves: Consolidation[];
  /** Why none is made now, when that is for the cluster as a whole. */
  held?: string;
}

/** A node's price per hour; every node counts 1 where no flavour has a price. */
function pricer(flavours: Record<string, Flavour>): (flavour: string | undefined) => number {
  const priced = Object.values(flavours).some((f) => (f.pricePerHour ?? 0) > 0);
  return (flavour) => (priced ? (flavours[flavour ?? '']?.pricePerHour ?? 0) : 1);
}

/**
 * The rooms tasks may move to, kept in order of free memory so that the tightest room
 * that holds a task is found by bisection (first-fit over 1,000 nodes per task would
 * be 30 million checks for a 30,000-task cluster). Every trial can be taken back.
 */
class Packing {
  private readonly rooms: (Room & { id: string })[];
  private readonly taken: { room: Room & { id: string }; task: TaskDemand }[] = [];
  /** Rooms tasks are placed on for good (a move counts on them; they are not emptied). */
  private readonly receiving = new Map<string, number>();

  constructor(nodes: NodeView[]) {
    this.rooms = nodes.map((n) => ({ ...roomOn(n), id: n.id }));
    this.rooms.sort((a, b) => a.free.memoryMb - b.free.memoryMb);
  }

  /** Place `task` on the tightest room not in `away` that holds it; false if none. */
  place(task: TaskDemand, away: ReadonlySet<string>): boolean {
    let low = 0;
    let high = this.rooms.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.rooms[mid]!.free.memoryMb < task.memoryMb) low = mid + 1;
      else high = mid;
    }
    for (let i = low; i < this.rooms.length; i++) {
      const room = this.rooms[i]!;
      if (away.has(room.id) || !canHold(room, task)) continue;
      place(room, task);
      this.taken.push({ room, task });
      this.receiving.set(room.id, (this.receiving.get(room.id) ?? 0) + 1);
      this.settle(i);
      return true;
    }
    return false;
  }

  /** Whether this plan moves tasks onto the node (then it is not emptied too). */
  receives(id: string): boolean {
    return (this.receiving.get(id) ?? 0) > 0;
  }

  /** A mark to take placements back to. */
  mark(): number {
    return this.taken.length;
  }

  /** Take back every placement since `mark`. */
  undo(mark: number): void {
    while (this.taken.length > mark) {
      const { room, task } = this.taken.pop()!;
      this.receiving.set(room.id, this.receiving.get(room.id)! - 1);
      room.free.cpuMilli += task.cpuMilli;
      room.free.memoryMb += task.memoryMb;
      for (const port of task.hostPorts ?? []) room.ports.delete(port);
      this.settle(this.rooms.indexOf(room));
    }
  }

  /** Move room `i` to its place in the order after its free memory changed. */
  private settle(i: number): void {
    const rooms = this.rooms;
    while (i > 0 && rooms[i - 1]!.free.memoryMb > rooms[i]!.free.memoryMb) {
      [rooms[i - 1], rooms[i]] = [rooms[i]!, rooms[i - 1]!];
      i--;
    }
    while (i < rooms.length - 1 && rooms[i + 1]!.free.memoryMb < rooms[i]!.free.memoryMb) {
      [rooms[i + 1], rooms[i]] = [rooms[i]!, rooms[i + 1]!];
      i++;
    }
  }
}

export function planConsolidation(input: ConsolidationInput): ConsolidationPlan {
  const { view, pools, flavours, settings, movedAt, now } = input;
  if (settings.consolidation === 'off') return { moves: [] };
  if (view.pending.length > 0) return { moves: [], held: 'tasks are waiting for room' };
  if (view.incoming.length > 0) return { moves: [], held: 'nodes are on their way' };

  const price = pricer(flavours);
  const workers = view.nodes.filter((n) => n.role === 'worker');
  const hosts = workers.filter((n) => n.ready && n.active && !n.scalingDown && !n.warm);
  const clusterPrice = workers.reduce((sum, n) => sum + price(n.flavour), 0);
  const clusterTasks = hosts.reduce((sum, n) => sum + n.tasks.length, 0);
  const score = (saving: number, moved: number) =>
    moved === 0 ? Infinity : saving / clusterPrice / (moved / clusterTasks);
  const stayMs = settings.minTaskStayHours * 3_600_000;
  const movable = (t: TaskDemand) =>
    !t.doNotDisrupt && !(t.slot && now - (movedAt.get(t.slot) ?? -Infinity) < stayMs);

  const poolSize = new Map<string, number>();
  const disrupted = new Map<string, number>();
  for (const n of workers.filter((n) => n.pool)) {
    poolSize.set(n.pool!, (poolSize.get(n.pool!) ?? 0) + 1);
    if (n.scalingDown) disrupted.set(n.pool!, (disrupted.get(n.pool!) ?? 0) + 1);
  }
  // The share is of the pool as it stands, before this plan's moves.
  const budget = new Map(
    [...poolSize].map(([pool, size]) => [pool, Math.min(settings.consolidationBudgetNodes, Math.ceil((settings.consolidationBudgetPercent / 100) * size))]), // prettier-ignore
  );
  const budgetLeft = (pool: string) => budget.get(pool)! - (disrupted.get(pool) ?? 0);
  const spend = (pool: string, nodes: number) => {
    disrupted.set(pool, (disrupted.get(pool) ?? 0) + nodes);
    poolSize.set(pool, poolSize.get(pool)! - nodes);
  };

  const candidates = hosts
    .filter((n) => n.autoscaled && n.pool && pools[n.pool] && !n.doNotDisrupt)
    .filter((n) => n.tasks.every(movable))
    .sort(
      (a, b) =>
        a.tasks.length - b.tasks.length ||
        price(b.flavour) - price(a.flavour) ||
        a.id.localeCompare(b.id),
    );
  const packing = new Packing(hosts);
  /** Nodes this plan empties: nothing moves onto them. */
  const away = new Set<string>();
  const moves: Consolidation[] = [];
  const worth = (saving: number, moved: number) =>
    saving > 0 && score(saving, moved) >= settings.consolidationMinScore;

  // Deletes: each node whose tasks the others hold, cheapest to disrupt first.
  for (const node of candidates) {
    const pool = node.pool!;
    if (packing.receives(node.id)) continue;
    if (budgetLeft(pool) < 1 || poolSize.get(pool)! - 1 < pools[pool]!.min) continue;
    const saving = price(node.flavour);
    if (!worth(saving, node.tasks.length)) continue;
    away.add(node.id);
    const mark = packing.mark();
    if (
      !node.tasks
        .slice()
        .sort(largestFirst)
        .every((t) => packing.place(t, away))
    ) {
      packing.undo(mark);
      away.delete(node.id);
      continue;
    }
    spend(pool, 1);
    moves.push({
      kind: 'delete',
      pool,
      nodes: [node],
      savingPerHour: saving,
      moves: node.tasks,
      score: score(saving, node.tasks.length),
      why:
        node.tasks.length === 0
          ? 'it runs no task'
          : `its ${node.tasks.length} task${node.tasks.length === 1 ? '' : 's'} fit on the other nodes`,
    });
  }
  if (settings.consolidation !== 'replace') return { moves };

  // Replaces: per pool, the largest run of its cheapest-to-disrupt nodes that one new,
  // cheaper node (with the room the others have) holds.
  for (const [name, pool] of Object.entries(pools)) {
    const mine = candidates.filter(
      (n) => n.pool === name && !away.has(n.id) && !packing.receives(n.id),
    );
    const most = Math.min(mine.length, budgetLeft(name), poolSize.get(name)! - pool.min + 1);
    if (most < 1) continue;
    const traits = poolTraits(name, pool);
    const offer = poolFlavours(pool)
      .map((f) => ({ name: f, capacity: flavourAmount(flavours[f]!), price: price(f) }))
      .sort((a, b) => a.price - b.price);
    /**
     * The replace of `nodes`, or undefined. Its placements are kept when `keep` (the
     * move is made), else taken back (a trial of the search).
     */
    const tryReplace = (nodes: NodeView[], keep: boolean): Consolidation | undefined => {
      for (const n of nodes) away.add(n.id);
      const mark = packing.mark();
      const tasks = nodes.flatMap((n) => n.tasks).sort(largestFirst);
      const left = tasks.filter((t) => !packing.place(t, away));
      const need: Amount = sumOf(left);
      const saved = nodes.reduce((sum, n) => sum + price(n.flavour), 0);
      const holdsLeft = (capacity: Amount) => {
        if (!fits(capacity, need)) return false;
        const room = emptyRoom(capacity, traits);
        return left.every((t) => canHold(room, t) && (place(room, t), true));
      };
      const flavour =
        left.length === 0
          ? undefined
          : offer.find(
              (f) =>
                f.price < saved &&
                !(nodes.length === 1 && f.name === nodes[0]!.flavour) &&
                holdsLeft(f.capacity),
            );
      const saving = saved - (flavour?.price ?? 0);
      const size = poolSize.get(name)! - nodes.length + (flavour ? 1 : 0);
      const found = (left.length === 0 || flavour) && size >= pool.min && worth(saving, tasks.length); // prettier-ignore
      if (!found || !keep) {
        packing.undo(mark);
        for (const n of nodes) away.delete(n.id);
      }
      if (!found) return undefined;
      const listed = nodes.map((n) => `${n.flavour ?? '?'} ${n.hostname ?? n.id}`).join(', ');
      const count = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
      return {
        kind: flavour ? 'replace' : 'delete',
        pool: name,
        nodes,
        flavour: flavour?.name,
        savingPerHour: saving,
        moves: tasks,
        score: score(saving, tasks.length),
        why: flavour
          ? `${count(nodes.length, 'node')} (${listed}) at ${saved.toFixed(2)}/h hold ${count(tasks.length, 'task')} that fit on one ${flavour.name} at ${flavour.price.toFixed(2)}/h`
          : `the tasks of ${listed} fit on the other nodes`,
      };
    };
    // The longest run from the front that works: all the budget allows first (the saving
    // grows with the run), then by halving, as Karpenter searches (a run that works
    // mostly has its shorter runs working too).
    let longest = tryReplace(mine.slice(0, most), false) ? most : 0;
    let low = 1;
    let high = longest ? 0 : most - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (tryReplace(mine.slice(0, mid), false)) {
        longest = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    const chosen = longest > 0 ? tryReplace(mine.slice(0, longest), true) : undefined;
    if (chosen) {
      spend(name, chosen.nodes.length);
      moves.push(chosen);
      continue;
    }
    // No run from the front: one node at a time, each for a cheaper flavour.
    for (const node of mine.slice(0, SINGLE_TRIALS)) {
      if (budgetLeft(name) < 1) break;
      const found = tryReplace([node], true);
      if (found) {
        spend(name, 1);
        moves.push(found);
      }
    }
  }
  return { moves };
}

/** What a consolidation move does and saves, in one line. */
export function describeConsolidation(move: Consolidation): string {
  const names = move.nodes.map((n) => n.hostname ?? n.id).join(', ');
  const tasks = `${move.moves.length} task${move.moves.length === 1 ? '' : 's'}`;
  const score = Number.isFinite(move.score) ? move.score.toFixed(2) : 'no task moved';
  const what =
    move.kind === 'replace'
      ? `replacing ${names} of pool ${move.pool} by one ${move.flavour}`
      : `giving back ${names} of pool ${move.pool}`;
  return `${what}: ${move.why}; saves ${move.savingPerHour.toFixed(2)}/h, moving ${tasks} (score ${score})`;
}
