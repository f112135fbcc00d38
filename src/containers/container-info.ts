/** `micado info`: what the engine knows of a container, as one typed record. */
import type { SwarmNode, SwarmService, SwarmTask } from '../swarm/index.js';
import { containerView, type ContainerView } from './container-view.js';

export interface ContainerInfo extends ContainerView {
  spec: {
    image: string;
    command: string[];
    args: string[];
    /** KEY=… unless values were asked for: they may be secrets. */
    env: string[];
    reservations: Record<string, number>;
    constraints: string[];
    labels: Record<string, string>;
  };
  /** The newest tasks first, with where they ran and why they ended. */
  tasks: {
    id: string;
    slot: number | undefined;
    node: string | undefined;
    desired: string;
    state: string;
    error: string | undefined;
    since: string;
  }[];
}

const TASKS_SHOWN = 10;

export function containerInfo(
  service: SwarmService,
  tasks: SwarmTask[],
  nodes: SwarmNode[],
  showEnv: boolean,
): ContainerInfo {
  const nodesById = new Map(nodes.map((n) => [n.id, n]));
  const mine = tasks.filter((t) => t.serviceId === service.id);
  return {
    ...containerView(service, mine, nodesById),
    spec: {
      image: service.image,
      command: service.command,
      args: service.args,
      env: showEnv ? service.env : service.env.map((e) => e.replace(/=.*/s, '=…')),
      reservations: service.reservations,
      constraints: service.constraints,
      labels: service.labels,
    },
    tasks: [...mine]
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
      .slice(0, TASKS_SHOWN)
      .map((t) => ({
        id: t.id.slice(0, 12),
        slot: t.slot,
        node: t.nodeId ? (nodesById.get(t.nodeId)?.hostname ?? t.nodeId.slice(0, 12)) : undefined,
        desired: t.desiredState,
        state: t.state,
        error: t.error,
        since: t.updatedAt,
      })),
  };
}
