/**
 * The scheduler nudge: Swarm places a pending task when a node joins or changes, so a
 * task that a Ready node has room for (resources, constraints, host ports) and that
 * still waits makes the manager update that node (a label with the time), and the
 * scheduler looks again without touching any running replica. Pure: which nodes.
 */
import type { ClusterView, NodeView, PendingTask } from './cluster-view.js';
import { canHold, roomOn } from './placement.js';

/** A task that fits a Ready node and is still pending this long gets the scheduler nudged. */
export const NUDGE_AFTER_MS = 1000;

/** The Ready nodes that tasks pending since `pendingSince` (at least NUDGE_AFTER_MS) fit. */
export function nudgeTargets(
  view: ClusterView,
  pendingSince: ReadonlyMap<string, number>,
  now: number,
): NodeView[] {
  const ready = view.nodes.filter(
    (n) => n.role === 'worker' && n.ready && n.active && !n.scalingDown,
  );
  const targets = new Set<NodeView>();
  for (const task of view.pending) {
    if (now - (pendingSince.get(task.id) ?? now) < NUDGE_AFTER_MS) continue;
    const node = ready.find((n) => canHold(roomOn(n), task));
    if (node) targets.add(node);
  }
  return [...targets];
}

/**
 * A task still waiting this long though a node that has been Ready this long has room
 * for it (and was nudged meanwhile) is lost to Swarm's scheduler: no node update wakes
 * it (a known fault, moby/moby#32999; seen when a stack's service changed replicas as
 * it was made, the task keeping the scheduler's word from before the node joined).
 */
export const LOST_AFTER_MS = 5000;

/** Such tasks, one per service: each is made again (the autoscaler's remakeLost). */
export function lostTasks(
  view: ClusterView,
  pendingSince: ReadonlyMap<string, number>,
  readySince: ReadonlyMap<string, number>,
  now: number,
): PendingTask[] {
  const long = (since: number | undefined) => since !== undefined && now - since >= LOST_AFTER_MS;
  const ready = view.nodes.filter(
    (n) =>
      n.role === 'worker' && n.ready && n.active && !n.scalingDown && long(readySince.get(n.id)),
  );
  const lost = new Map<string, PendingTask>();
  for (const task of view.pending) {
    if (!long(pendingSince.get(task.id)) || lost.has(task.service)) continue;
    if (ready.some((n) => canHold(roomOn(n), task))) lost.set(task.service, task);
  }
  return [...lost.values()];
}
