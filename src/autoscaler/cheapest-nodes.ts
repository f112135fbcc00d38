/**
 * The cheapest new nodes for a set of waiting tasks, when a pool may start several
 * flavours, each at its price per hour: the set of least price per hour that holds
 * every task, ties broken by fewest nodes. Bin packing with costs is hard in general;
 * this tries the packing of each flavour alone and a greedy mix (each node of the
 * flavour that costs least per share of the work it takes), shrinks every node to the
 * cheapest flavour that still holds what it took, and keeps the cheapest outcome.
 * Pure: simulated, and table-tested against known optima.
 */
import { fits, type Amount } from '../swarm/capacity.js';

export interface PricedFlavour {
  name: string;
  capacity: Amount;
  pricePerHour: number;
}

export interface NodeChoice {
  /** The nodes to start, by flavour, cheapest first. */
  nodes: { flavour: string; count: number }[];
  pricePerHour: number;
  /** Tasks no flavour can hold, left out of the choice. */
  unplaceable: Amount[];
  /** Why these: the price, and what it was weighed against. */
  why: string;
}

interface Bin {
  flavour: PricedFlavour;
  free: Amount;
  tasks: Amount[];
}

const largestFirst = (a: Amount, b: Amount) => b.memoryMb - a.memoryMb || b.cpuMilli - a.cpuMilli;
const less = (free: Amount, task: Amount): Amount => ({
  cpuMilli: free.cpuMilli - task.cpuMilli,
  memoryMb: free.memoryMb - task.memoryMb,
});
const priceOf = (bins: Bin[]) => bins.reduce((sum, b) => sum + b.flavour.pricePerHour, 0);

/** First-fit decreasing onto nodes of one flavour. */
function packAlone(tasks: Amount[], flavour: PricedFlavour): Bin[] {
  const bins: Bin[] = [];
  for (const task of tasks) {
    let bin = bins.find((b) => fits(b.free, task));
    if (!bin) bins.push((bin = { flavour, free: { ...flavour.capacity }, tasks: [] }));
    bin.free = less(bin.free, task);
    bin.tasks.push(task);
  }
  return bins;
}

/**
 * Greedy mix: while tasks remain, fill one node of each flavour first-fit from the
 * largest task down, and keep the one whose price buys the most work (the tasks'
 * shares of the largest flavour, the larger of CPU and memory for each).
 */
function packMixed(tasks: Amount[], flavours: PricedFlavour[]): Bin[] {
  const largest = flavours.reduce((a, b) => ({
    cpuMilli: Math.max(a.cpuMilli, b.capacity.cpuMilli),
    memoryMb: Math.max(a.memoryMb, b.capacity.memoryMb),
  }), { cpuMilli: 1, memoryMb: 1 }); // prettier-ignore
  const work = (t: Amount) =>
    Math.max(t.cpuMilli / largest.cpuMilli, t.memoryMb / largest.memoryMb);
  let left = [...tasks];
  const bins: Bin[] = [];
  while (left.length > 0) {
    let best: { bin: Bin; perWork: number; work: number } | undefined;
    for (const flavour of flavours) {
      const bin: Bin = { flavour, free: { ...flavour.capacity }, tasks: [] };
      for (const task of left) {
        if (!fits(bin.free, task)) continue;
        bin.free = less(bin.free, task);
        bin.tasks.push(task);
      }
      const done = bin.tasks.reduce((sum, t) => sum + work(t), 0);
      if (bin.tasks.length === 0) continue;
      const perWork = flavour.pricePerHour / Math.max(done, Number.EPSILON);
      if (!best || perWork < best.perWork || (perWork === best.perWork && done > best.work))
        best = { bin, perWork, work: done };
    }
    if (!best) break; // nothing fits anything: the caller left those out
    bins.push(best.bin);
    left = left.filter((t) => !best!.bin.tasks.includes(t));
  }
  return bins;
}

/** Each node as the cheapest flavour that still holds what it took. */
function shrink(bins: Bin[], flavours: PricedFlavour[]): Bin[] {
  return bins.map((bin) => {
    const need = bin.tasks.reduce(
      (sum, t) => ({ cpuMilli: sum.cpuMilli + t.cpuMilli, memoryMb: sum.memoryMb + t.memoryMb }),
      { cpuMilli: 0, memoryMb: 0 },
    );
    const cheaper = flavours
      .filter((f) => fits(f.capacity, need) && f.pricePerHour < bin.flavour.pricePerHour)
      .sort((a, b) => a.pricePerHour - b.pricePerHour)[0];
    return cheaper ? { ...bin, flavour: cheaper, free: less(cheaper.capacity, need) } : bin;
  });
}

export function cheapestNodes(tasks: Amount[], flavours: PricedFlavour[]): NodeChoice {
  const sorted = [...tasks].sort(largestFirst);
  const unplaceable = sorted.filter((t) => !flavours.some((f) => fits(f.capacity, t)));
  const placeable = sorted.filter((t) => !unplaceable.includes(t));
  const candidates: Bin[][] = [];
  for (const flavour of flavours) {
    if (placeable.every((t) => fits(flavour.capacity, t)))
      candidates.push(shrink(packAlone(placeable, flavour), flavours));
  }
  candidates.push(shrink(packMixed(placeable, flavours), flavours));
  candidates.sort((a, b) => priceOf(a) - priceOf(b) || a.length - b.length);
  const [best] = candidates;
  const counts = new Map<string, { flavour: PricedFlavour; count: number }>();
  for (const bin of best!) {
    const entry = counts.get(bin.flavour.name) ?? { flavour: bin.flavour, count: 0 };
    entry.count++;
    counts.set(bin.flavour.name, entry);
  }
  const price = priceOf(best!);
  const nodes = [...counts.values()]
    .sort((a, b) => a.flavour.pricePerHour - b.flavour.pricePerHour)
    .map((e) => ({ flavour: e.flavour.name, count: e.count }));
  const listed = nodes.map((n) => `${n.count} ${n.flavour}`).join(' + ') || 'no node';
  // Weighed against each flavour alone, as it packs (the dearest choice a pool of one
  // flavour would have made): the cheapest of those that costs more.
  const alone = flavours
    .filter((f) => placeable.length > 0 && placeable.every((t) => fits(f.capacity, t)))
    .map((f) => ({ flavour: f, bins: packAlone(placeable, f) }))
    .filter((a) => priceOf(a.bins) > price)
    .sort((a, b) => priceOf(a.bins) - priceOf(b.bins))[0];
  const against = alone ? `; ${alone.bins.length} ${alone.flavour.name} would cost ${priceOf(alone.bins).toFixed(2)}/h` : ''; // prettier-ignore
  return {
    nodes,
    pricePerHour: price,
    unplaceable,
    why: `${listed} at ${price.toFixed(2)}/h, the cheapest that holds ${placeable.length} task${placeable.length === 1 ? '' : 's'}${against}`,
  };
}
