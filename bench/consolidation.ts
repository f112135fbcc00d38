/**
 * Cost and consolidation, side by side in one run:
 * - the week's replay (trace-replay.ts), three ways: micado with consolidation, micado
 *   without (cheapest flavours at scale-up, CA's give-back), and a CA-like policy (one
 *   flavour, give back below 50% after 10 min; the best flavour for it is chosen, so the
 *   comparison is with CA at its best); each against the lower bound;
 * - consolidation's decision on 1,000 nodes and 30,000 tasks of five flavours, with a
 *   budget of 10% of the nodes and with every node open to it (the worst case).
 */
import type { Flavour, NodePool } from '../src/config/config.js';
import { DEFAULT_CONFIG } from '../src/config/config.js';
import { planConsolidation } from '../src/autoscaler/consolidation.js';
import { clusterView, nodeView } from '../src/testing/cluster-views.js';
import type { TaskDemand } from '../src/autoscaler/cluster-view.js';
import { median } from './measure.js';
import { lowerBound, replay, syntheticWeek, type ReplayPolicy } from './trace-replay.js';

/** A cloud's price list: per hour, dearer per GB for more CPU, and a memory-heavy one. */
const FLAVOURS: Record<string, Flavour> = {
  small: { cpus: 1, memoryMb: 2048, pricePerHour: 0.05 },
  medium: { cpus: 2, memoryMb: 4096, pricePerHour: 0.1 },
  large: { cpus: 4, memoryMb: 8192, pricePerHour: 0.2 },
  xlarge: { cpus: 8, memoryMb: 16384, pricePerHour: 0.4 },
  highmem: { cpus: 2, memoryMb: 16384, pricePerHour: 0.25 },
};
const CA_SCALE_DOWN = {
  scaleDownUtilization: 0.5,
  scaleDownUnneededMs: 600_000,
  scaleDownDelayAfterUpMs: 600_000,
  scaleDownCooldownMs: 0,
};
const pool = (flavour: string, flavours?: string[]): Record<string, NodePool> => ({
  default: { driver: 'sim', flavour, flavours, min: 0, max: 1000 },
});
const { autoscaler } = DEFAULT_CONFIG;

export async function benchConsolidation(): Promise<string[][]> {
  const rows: string[][] = [];
  const trace = syntheticWeek(42);
  const bound = lowerBound(trace, FLAVOURS);
  const all = Object.keys(FLAVOURS);
  const larger = ['large', 'xlarge', 'highmem'];
  const consolidation = { ...autoscaler, consolidation: 'replace' as const };
  const policies: ReplayPolicy[] = [all, larger].flatMap((flavours) => {
    const name = `micado (${flavours.length} flavours)`;
    const plain = { name, pools: pool(flavours[0]!, flavours), scaleDown: CA_SCALE_DOWN };
    return [{ ...plain, name: `${name} + consolidation`, consolidation }, plain];
  });
  const caRuns = all.map((f) => replay(trace, FLAVOURS, { name: `CA-like (${f})`, pools: pool(f), scaleDown: CA_SCALE_DOWN })); // prettier-ignore
  // CA at its best: the cheapest flavour that runs every task (a small holds no 2-CPU task).
  const ca = caRuns.filter((r) => r.unplaced === 0).sort((a, b) => a.cost - b.cost)[0]!;
  const results = [...policies.map((p) => replay(trace, FLAVOURS, p)), ca];
  rows.push([`replay: a week, ${trace.length} tasks (seed 42); lower bound`, bound.toFixed(2), 'cost']); // prettier-ignore
  for (const r of results) {
    const sources = Object.entries(r.bySource).map(([k, v]) => `${k} ${(v / 7).toFixed(0)}`).join(', '); // prettier-ignore
    rows.push([
      `replay: ${r.policy}`,
      r.cost.toFixed(2),
      `${(r.cost / bound).toFixed(3)}× bound, ${(r.cost / ca.cost).toFixed(3)}× CA; ${r.nodeHours.toFixed(0)} node-hours; ${r.movesPerDay.toFixed(1)} moves/day (${sources || 'none'}); longest wait ${r.peakPendingMinutes} min; decisions ${r.decideMs.toFixed(0)} ms`,
    ]);
  }
  rows.push(['replay: CA-like, each flavour', '', caRuns.map((r) => `${r.policy.slice(9, -1)} ${r.cost.toFixed(2)}${r.unplaced ? ` (${r.unplaced} tasks never ran)` : ''}`).join(', ')]); // prettier-ignore

  // The decision at scale: 1,000 larges of 30 tasks each, five flavours.
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const five: Record<string, Flavour> = {
    xs: { cpus: 1, memoryMb: 1024, pricePerHour: 0.5 },
    s: { cpus: 2, memoryMb: 4096, pricePerHour: 1 },
    m: { cpus: 4, memoryMb: 8192, pricePerHour: 1.9 },
    l: { cpus: 8, memoryMb: 16384, pricePerHour: 3.7 },
    xl: { cpus: 16, memoryMb: 32768, pricePerHour: 7.2 },
  };
  let id = 0;
  const nodes = Array.from({ length: 1000 }, (_, i) => {
    const tasks: TaskDemand[] = Array.from({ length: 30 }, () => {
      const t = `t${id++}`;
      return { id: t, service: t, slot: `${t}.1`, constraints: [], cpuMilli: 10 + Math.floor(random() * 100), memoryMb: 16 + Math.floor(random() * 400) }; // prettier-ignore
    });
    return nodeView(`n${i}`, { flavour: 'l', capacity: { cpuMilli: 8000, memoryMb: 16384 }, tasks }); // prettier-ignore
  });
  const view = clusterView({ nodes });
  const pools = { default: { driver: 'sim', flavour: 'l', flavours: Object.keys(five), min: 0, max: 2000 } }; // prettier-ignore
  const timings = (budget: number) => {
    const settings = { ...autoscaler, consolidation: 'replace' as const, consolidationBudgetPercent: budget, consolidationBudgetNodes: 1000 }; // prettier-ignore
    const ms: number[] = [];
    let moves = 0;
    for (let run = 0; run < 7; run++) {
      const started = performance.now();
      moves = planConsolidation({ view, pools, flavours: five, settings, movedAt: new Map(), now: 0 }).moves.length; // prettier-ignore
      ms.push(performance.now() - started);
    }
    return { ms: median(ms), moves };
  };
  for (const budget of [10, 100]) {
    const { ms, moves } = timings(budget);
    rows.push([
      `consolidation decision, 1,000 nodes / 30,000 tasks / 5 flavours, budget ${budget}%`,
      `${ms.toFixed(0)} ms`,
      `median of 7; ${moves} moves found`,
    ]);
  }
  return rows;
}
