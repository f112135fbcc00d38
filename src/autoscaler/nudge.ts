/**
 * The scheduler nudge: Swarm places a pending task when a node joins or changes, so a
 * task that a Ready node has room for (resources, constraints, host ports) and that
 * still waits makes the manager update that node (a label with the time), and the
 * scheduler looks again without touching any running replica. Pure: which nodes.
 */
import type { ClusterView, NodeView } from './cluster-view.js';
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
