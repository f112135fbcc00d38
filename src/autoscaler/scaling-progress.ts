/**
 * The manager's word on what it does, as others read it: the actions it records in the
 * events log, and what it is doing for a container that waits for room (nodes being
 * started, the last that joined, or why no pool can ever hold it), read from the store.
 */
import type { IncomingNode } from '../nodes/node-provisioner.js';
import type { Store } from '../store/store.js';

/** Actions the manager records in the events log. */
export const SCALING_ACTION = {
  scaleUp: 'scale-up',
  nodeJoined: 'node-joined',
  relabel: 'relabel',
  failure: 'failure',
  unplaceable: 'unplaceable',
  scaleDown: 'scale-down',
  nodeRemoved: 'node-removed',
  replicas: 'replicas',
  /** Replicas its load asked for that its client's limits held back. */
  held: 'replicas-held',
  /** A container whose time limit ran out, removed. */
  expired: 'expired',
  orphan: 'orphan',
  /** A worker that was no machine of the cluster (a stolen join token), removed. */
  rogueNode: 'rogue-node',
  /** A node kept warm: paused, Ready for the next task. */
  warm: 'warm',
  /** A warm node made active for tasks that fit it. */
  warmWoken: 'warm-woken',
  /** A joined worker gone down (a reboot?): its tasks wait for it, for the unready grace. */
  nodeDown: 'node-down',
  /** A worker back from down, as the same node. */
  nodeBack: 'node-back',
  /** A task Swarm's scheduler lost, made again (nudge.ts). */
  taskRemade: 'task-remade',
  /** Nodes given back, or replaced by a cheaper one, to save money (consolidation.ts). */
  consolidate: 'consolidate',
} as const;

export interface ScalingProgress {
  /** Nodes asked for and not joined yet. */
  starting: IncomingNode[];
  /** The last node that joined since the wait began. */
  joined: IncomingNode | undefined;
  /** Why no pool can ever hold the container, once the manager said so. */
  unplaceable: string | undefined;
}

/** What the manager is doing, since `since`, for `container` waiting for room. */
export async function scalingProgress(
  store: Store,
  container: string,
  since: number,
): Promise<ScalingProgress> {
  const [open, recent, events] = await Promise.all([
    store.openIntents(),
    store.intents({ since }),
    store.events({ since }),
  ]);
  const refused = events.find(
    (e) => e.action === SCALING_ACTION.unplaceable && e.subject === container,
  );
  const joined = recent.filter((i) => i.state === 'joined').at(-1);
  return {
    starting: open.map(({ pool, instance }) => ({ pool, instance })),
    joined: joined && { pool: joined.pool, instance: joined.instance },
    unplaceable: refused?.message,
  };
}
