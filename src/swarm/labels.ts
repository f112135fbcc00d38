/**
 * micado's vocabulary on Swarm objects: every label it sets on nodes and services, or
 * reads back from them, named here and nowhere else (lint refuses a `'micado.` literal
 * elsewhere). The generic resources nodes advertise are capacity's (capacity.ts).
 */

/** Engine labels every micado node carries; copied to node labels once it joins. */
export const NODE_LABEL = {
  instance: 'micado.instance',
  driver: 'micado.driver',
  cloud: 'micado.cloud',
  pool: 'micado.pool',
  flavour: 'micado.flavour',
  tag: 'micado.tag',
  /** What the node is for: manager, worker, or proxy (a worker of no capacity). */
  role: 'micado.role',
  /** How the node's engine is reached (tcp://ADDRESS:2376), as the node announces it. */
  engine: 'micado.engine',
  /** Set on nodes the manager started: only those does it give back when idle. */
  autoscaled: 'micado.autoscaled',
  /** Set by the manager before it drains a node to give it back. */
  scalingDown: 'micado.scaling-down',
  /**
   * 'true' on a node consolidation gives back, paused until its turn comes (its tasks
   * still served; nothing new placed on it): a restarted manager finishes the job.
   */
  consolidating: 'micado.consolidating',
  /** 'true' while the manager keeps the node warm: paused, Ready for the next task. */
  warm: 'micado.warm',
  /** Set by the manager (to the time) so Swarm's scheduler looks at the node again. */
  nudged: 'micado.nudged',
  /**
   * 'true', a node label the manager alone sets, on the machines it started once they
   * join: every container is constrained to it, so Swarm places nothing on a node that
   * joined by hand (a rogue) even before the manager removes it.
   */
  member: 'micado.member',
} as const;

/** Labels of a container (a Swarm service `micado launch` made). */
export const CONTAINER_LABEL = {
  name: 'micado.container',
  client: 'micado.client',
  image: 'micado.image',
  domain: 'micado.domain',
  path: 'micado.path',
  port: 'micado.port',
  location: 'micado.location',
  /** When it expires (ISO 8601): its time limit (`launch --ttl`). */
  expires: 'micado.expires',
} as const;

/** Labels Docker itself sets, which micado reads: a stack's services carry its name. */
export const DOCKER_LABEL = {
  stack: 'com.docker.stack.namespace',
} as const;

/** A service label that carries its own replica policy (set by `micado policy set -n`). */
export const POLICY_LABEL = 'micado.policy';

/**
 * The same policy as deploy labels, one per setting, as a compose file writes them
 * (`micado.policy.max: "5"`); min and max as replicas, the marks as percentages of
 * what a replica reserves.
 */
export const POLICY_LABELS = {
  min: 'micado.policy.min',
  max: 'micado.policy.max',
  cpuHigh: 'micado.policy.cpu-high',
  cpuLow: 'micado.policy.cpu-low',
  memoryHigh: 'micado.policy.memory-high',
  memoryLow: 'micado.policy.memory-low',
} as const;

/**
 * 'true' on a service (a deploy label) or a node: consolidation never moves the
 * service's tasks, nor empties the node, to save money (scale-down of an idle node and
 * an operator's `micado stop` still may).
 */
export const DO_NOT_DISRUPT_LABEL = 'micado.do-not-disrupt';

/** A placement constraint: only nodes whose node label `label` is `value`. */
export function nodeLabelIs(label: string, value: string): string {
  return `node.labels.${label}==${value}`;
}
