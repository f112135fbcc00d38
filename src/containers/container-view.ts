/**
 * Containers as users see them, derived from what Swarm knows (services, tasks, nodes).
 * Pure, so every state is unit-tested without an engine.
 */
import type { PublishedPort, SwarmNode, SwarmService, SwarmTask } from '../swarm/index.js';
import { CONTAINER_LABEL, DOCKER_LABEL, NODE_LABEL } from '../swarm/labels.js';

export type ContainerState =
  'running' | 'starting' | 'pulling' | 'waiting for capacity' | 'failing' | 'stopped';

export interface ContainerView {
  name: string;
  /** Where it came from: `micado` (launch), `stack NAME` (docker stack deploy), or `service`. */
  origin: string;
  client: string;
  image: string;
  state: ContainerState;
  replicas: { desired: number; running: number };
  /** Hostnames of the nodes its running tasks are on. */
  nodes: string[];
  ports: string[];
  domain: string | undefined;
  /** The domain's path prefix it serves (`--path`); the whole domain when undefined. */
  path: string | undefined;
  /**
   * With a domain: whether the proxies serve it, or what it lacks (a proxy, a running
   * replica with a port, a route on every proxy). From Swarm alone this is what a proxy
   * would do; the proxies' own word (proxy/route-probe.ts) replaces it where asked.
   */
  proxied: 'served' | 'no proxy' | 'no replica' | 'not routed' | undefined;
  /** Why it is not running, when Swarm says. */
  reason: string | undefined;
  /** When its time limit runs out (ISO 8601); undefined: never. */
  expires: string | undefined;
  createdAt: string;
}

const LIVE = new Set([
  'new',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
]);

/** Tasks Swarm still works on for a service (its history of ended tasks left out). */
export function currentTasks(tasks: SwarmTask[]): SwarmTask[] {
  return tasks.filter((t) => t.desiredState === 'running' && LIVE.has(t.state));
}

/** A service `micado launch` made (every other service is one of Swarm's own users'). */
export function isContainer(service: SwarmService): boolean {
  return service.labels[CONTAINER_LABEL.name] !== undefined;
}

/** The stack a service belongs to (`docker stack deploy`), if any. */
export const stackOf = (service: SwarmService): string | undefined =>
  service.labels[DOCKER_LABEL.stack];

/** Where a service came from: `micado`, `stack NAME`, or `service` (docker service create). */
export function originOf(service: SwarmService): string {
  if (isContainer(service)) return 'micado';
  const stack = stackOf(service);
  return stack === undefined ? 'service' : `stack ${stack}`;
}

export function containerView(
  service: SwarmService,
  tasks: SwarmTask[],
  nodesById: Map<string, SwarmNode>,
): ContainerView {
  const mine = tasks.filter((t) => t.serviceId === service.id);
  const current = currentTasks(mine);
  const running = current.filter((t) => t.state === 'running');
  const desired = service.replicas ?? 0;
  const { state, reason } = stateOf(desired, running.length, current, mine);
  return {
    name: service.name,
    origin: originOf(service),
    client: service.labels[CONTAINER_LABEL.client] ?? '',
    // A stack's image names its digest too (image:tag@sha256:…): the name is enough.
    image: service.labels[CONTAINER_LABEL.image] ?? service.image.replace(/@sha256:[0-9a-f]+$/, ''),
    state,
    replicas: { desired, running: running.length },
    nodes: [
      ...new Set(running.map((t) => nodesById.get(t.nodeId ?? '')?.hostname ?? t.nodeId ?? '?')),
    ].sort(),
    ports: service.ports.map(
      (p) => `${publishedOf(p, running)}->${p.target}/${p.protocol ?? 'tcp'}`,
    ),
    domain: service.labels[CONTAINER_LABEL.domain],
    path: service.labels[CONTAINER_LABEL.path],
    proxied: service.labels[CONTAINER_LABEL.domain]
      ? proxiedState([...nodesById.values()], running.length > 0 && service.ports.length > 0)
      : undefined,
    reason,
    expires: service.labels[CONTAINER_LABEL.expires],
    createdAt: service.createdAt,
  };
}

/** A fixed published port, or the ones the engine chose for the running tasks. */
function publishedOf(port: PublishedPort, running: SwarmTask[]): string {
  if (port.published > 0) return String(port.published);
  const chosen = running.flatMap((t) => t.ports.filter((p) => p.target === port.target));
  return chosen.length > 0 ? [...new Set(chosen.map((p) => p.published))].join(',') : 'auto';
}

function proxiedState(nodes: SwarmNode[], reachable: boolean): ContainerView['proxied'] {
  const proxy = nodes.some(
    (n) => n.engineLabels[NODE_LABEL.role] === 'proxy' && n.state === 'ready',
  );
  if (!proxy) return 'no proxy';
  return reachable ? 'served' : 'no replica';
}

function stateOf(
  desired: number,
  running: number,
  current: SwarmTask[],
  all: SwarmTask[],
): { state: ContainerState; reason: string | undefined } {
  if (desired === 0) return { state: 'stopped', reason: undefined };
  if (running >= desired) return { state: 'running', reason: undefined };
  const pending = current.find((t) => t.state === 'pending' && t.error);
  if (pending) return { state: 'waiting for capacity', reason: pending.error };
  const failed = [...all]
    .filter((t) => t.state === 'failed' || t.state === 'rejected')
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
  if (failed && !current.some((t) => t.state === 'starting' || t.state === 'preparing')) {
    return { state: 'failing', reason: failed.error ?? failed.message };
  }
  if (current.some((t) => t.state === 'preparing')) return { state: 'pulling', reason: undefined };
  return { state: 'starting', reason: failed?.error };
}

/** One line for the launch spinner: what the container waits for now. */
export function launchPhase(view: ContainerView): string {
  switch (view.state) {
    case 'waiting for capacity':
      return `waiting for capacity: ${view.reason ?? 'no node has room'}`;
    case 'pulling':
      return `pulling ${view.image}`;
    case 'running':
      return `running on ${view.nodes.join(', ')}`;
    case 'failing':
      return `failing: ${view.reason ?? 'the task failed'}`;
    default:
      return `starting ${view.replicas.running}/${view.replicas.desired}`;
  }
}
