/** Consolidation's choices, table-tested: what it deletes, what it replaces, what it leaves. */
import { describe, expect, it } from 'vitest';
import type { Flavour, NodePool } from '../config/config.js';
import { clusterView, nodeView, pendingTask } from '../testing/cluster-views.js';
import type { NodeView, TaskDemand } from './cluster-view.js';
import {
  planConsolidation,
  type ConsolidationInput,
  type ConsolidationSettings,
} from './consolidation.js';

const NOW = 10 * 86_400_000;
const FLAVOURS: Record<string, Flavour> = {
  small: { cpus: 1, memoryMb: 512, pricePerHour: 1 },
  medium: { cpus: 2, memoryMb: 2048, pricePerHour: 3 },
  large: { cpus: 4, memoryMb: 8192, pricePerHour: 10 },
};
const SETTINGS: ConsolidationSettings = {
  consolidation: 'replace',
  consolidationMinScore: 0.5,
  consolidationBudgetNodes: 10,
  consolidationBudgetPercent: 100,
  minTaskStayHours: 24,
};
const POOL: NodePool = {
  driver: 'local',
  flavour: 'small',
  flavours: ['small', 'medium', 'large'],
  min: 0,
  max: 20,
};

let taskIds = 0;
const task = (memoryMb: number, change: Partial<TaskDemand> = {}): TaskDemand => {
  const id = `t${++taskIds}`;
  return { id, service: `s-${id}`, slot: `s-${id}.1`, cpuMilli: 100, memoryMb, constraints: [], ...change }; // prettier-ignore
};
const small = (id: string, tasks: TaskDemand[], change: Partial<NodeView> = {}) =>
  nodeView(id, { tasks, ...change });
const medium = (id: string, tasks: TaskDemand[]) =>
  nodeView(id, { flavour: 'medium', capacity: { cpuMilli: 2000, memoryMb: 2048 }, tasks });

function plan(nodes: NodeView[], change: Partial<ConsolidationInput> = {}) {
  return planConsolidation({
    view: clusterView({ nodes }),
    pools: { default: POOL },
    flavours: FLAVOURS,
    settings: SETTINGS,
    movedAt: new Map(),
    now: NOW,
    ...change,
  });
}
const summary = (p: ReturnType<typeof plan>) =>
  p.moves.map((m) => `${m.kind} ${m.nodes.map((n) => n.id).join('+')}${m.flavour ? ` → ${m.flavour}` : ''}`); // prettier-ignore

describe('consolidation', () => {
  it('is off unless asked, and waits while tasks wait or nodes come', () => {
    const nodes = [small('a', []), small('b', [task(100)])];
    expect(plan(nodes, { settings: { ...SETTINGS, consolidation: 'off' } }).moves).toEqual([]);
    const waiting = clusterView({ nodes, pending: [pendingTask('p', 100)] });
    expect(plan([], { view: waiting })).toEqual({ moves: [], held: 'tasks are waiting for room' });
    const coming = clusterView({ nodes, incoming: [{ pool: 'default', instance: 'i-c' }] });
    expect(plan([], { view: coming }).held).toBe('nodes are on their way');
  });

  it('deletes the nodes whose tasks fit on the others, fewest tasks first, never one it fills', () => {
    // Each small holds 150 MB: a's task goes to b; c's to b as well; b, now receiving, stays.
    const nodes = [small('b', [task(150), task(10)]), small('a', [task(150)]), small('c', [task(150)])]; // prettier-ignore
    const p = plan(nodes, { settings: { ...SETTINGS, consolidation: 'delete' } });
    expect(summary(p)).toEqual(['delete a', 'delete c']);
    expect(p.moves[0]!.savingPerHour).toBe(1);
    expect(p.moves[0]!.why).toBe('its 1 task fit on the other nodes');
    // An empty node scores without bound; one task moved of four for a third of the bill: 4/3.
    expect(plan([small('e', []), ...nodes]).moves[0]).toMatchObject({ nodes: [{ id: 'e' }], score: Infinity }); // prettier-ignore
    expect(p.moves[0]!.score).toBeCloseTo(1 / 3 / (1 / 4));
  });

  it('weighs the saving against the tasks moved (the score)', () => {
    const nodes = [small('a', [task(100), task(100)]), medium('m', [task(1500)])];
    // a (1/h of 4/h) moves 2 of 3 tasks: 0.25 / 0.667 = 0.375; m's task has nowhere to go.
    expect(summary(plan(nodes, { settings: { ...SETTINGS, consolidationMinScore: 0.4 } }))).toEqual([]); // prettier-ignore
    expect(summary(plan(nodes, { settings: { ...SETTINGS, consolidationMinScore: 0.3 } }))).toEqual(['delete a']); // prettier-ignore
  });

  it('never moves what says do-not-disrupt, nor a task moved within minTaskStayHours', () => {
    const moved = task(100);
    const nodes = [small('a', [moved]), small('b', [task(100)]), small('c', [task(100, { doNotDisrupt: true })]), small('d', [task(50)], { doNotDisrupt: true })]; // prettier-ignore
    const recent = new Map([[moved.slot!, NOW - 23 * 3_600_000]]);
    expect(summary(plan(nodes, { movedAt: recent, settings: { ...SETTINGS, consolidation: 'delete' } }))).toEqual(['delete b']); // prettier-ignore
    const long = new Map([[moved.slot!, NOW - 25 * 3_600_000]]);
    // a goes first (b takes its task, so b stays).
    expect(summary(plan(nodes, { movedAt: long, settings: { ...SETTINGS, consolidation: 'delete' } }))).toEqual(['delete a']); // prettier-ignore
  });

  it("keeps the pool's min and its budget (nodes, and a share of the pool, rounded up)", () => {
    const nodes = ['a', 'b', 'c', 'd'].map((id) => small(id, []));
    expect(plan(nodes, { pools: { default: { ...POOL, min: 3 } } }).moves).toHaveLength(1);
    expect(plan(nodes, { settings: { ...SETTINGS, consolidationBudgetNodes: 2 } }).moves).toHaveLength(2); // prettier-ignore
    expect(plan(nodes, { settings: { ...SETTINGS, consolidationBudgetPercent: 30 } }).moves).toHaveLength(2); // prettier-ignore
    // A node being given back is one of the budget.
    const going = [...nodes, small('z', [], { scalingDown: true })];
    expect(plan(going, { settings: { ...SETTINGS, consolidationBudgetNodes: 2 } }).moves).toHaveLength(1); // prettier-ignore
  });

  it('replaces a node by one of a cheaper flavour, never by its own', () => {
    // Half the bill saved for every task moved (score 0.67).
    const p = plan([medium('m', [task(300)])]);
    expect(summary(p)).toEqual(['replace m → small']);
    expect(p.moves[0]).toMatchObject({ savingPerHour: 2, why: '1 node (medium h-m) at 3.00/h hold 1 task that fit on one small at 1.00/h' }); // prettier-ignore
    expect(plan([medium('m', [task(300)])], { settings: { ...SETTINGS, consolidation: 'delete' } }).moves).toEqual([]); // prettier-ignore
    expect(plan([small('s', [task(300)])]).moves).toEqual([]);
  });

  it('replaces a run of nodes by one cheaper node that holds their tasks, within the budget', () => {
    // Four smalls, 300 MB each (no small holds two): one medium priced 2.5 holds all four.
    const flavours = { ...FLAVOURS, medium: { ...FLAVOURS.medium!, pricePerHour: 2.5 } };
    const nodes = ['a', 'b', 'c', 'd'].map((id) => small(id, [task(300)]));
    const settings = { ...SETTINGS, consolidationMinScore: 0 };
    const p = plan(nodes, { flavours, settings });
    expect(summary(p)).toEqual(['replace a+b+c+d → medium']);
    expect(p.moves[0]!.savingPerHour).toBe(1.5);
    // A budget of 3: three smalls for one medium saves 0.5.
    const three = plan(nodes, { flavours, settings: { ...settings, consolidationBudgetNodes: 3 } });
    expect(summary(three)).toEqual(['replace a+b+c → medium']);
    // A budget of 2: two smalls (2/h) for a medium (2.5/h) saves nothing.
    expect(plan(nodes, { flavours, settings: { ...settings, consolidationBudgetNodes: 2 } }).moves).toEqual([]); // prettier-ignore
    // Among a full large's 20 tasks at 10/h, the four (1.5/h saved of 14/h, 4 tasks of 24) score 0.64.
    const full = nodeView('x', { flavour: 'large', autoscaled: false, capacity: { cpuMilli: 4000, memoryMb: 8192 }, tasks: Array.from({ length: 20 }, () => task(400, { cpuMilli: 10 })) }); // prettier-ignore
    const scored = plan([...nodes, full], { flavours });
    expect(summary(scored)).toEqual(['replace a+b+c+d → medium']);
    expect(scored.moves[0]!.score).toBeCloseTo(1.5 / 14 / (4 / 24));
    expect(plan([...nodes, full], { flavours, settings: { ...SETTINGS, consolidationMinScore: 0.7 } }).moves).toEqual([]); // prettier-ignore
  });

  it('counts every node as 1 where no flavour has a price', () => {
    const unpriced = { small: { cpus: 1, memoryMb: 512 }, large: { cpus: 4, memoryMb: 8192 } };
    const nodes = ['a', 'b', 'c'].map((id) => small(id, [task(300)]));
    const p = plan(nodes, { flavours: unpriced, pools: { default: { ...POOL, flavours: ['small', 'large'] } } }); // prettier-ignore
    expect(summary(p)).toEqual(['replace a+b+c → large']);
    expect(p.moves[0]!.savingPerHour).toBe(2);
  });
});
