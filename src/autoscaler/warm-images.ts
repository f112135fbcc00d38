/**
 * What a warm node pulls while it waits: the images most used on its pool's nodes,
 * then those of the cluster's other containers, so the task that wakes it starts
 * without a pull. Pure: the view and the services in, image references out.
 */
import type { SwarmService } from '../swarm/index.js';
import type { NodeView } from './cluster-view.js';

/** Images a warm node of `pool` should hold, most used first, at most `limit`. */
export function imagesToSeed(
  pool: string,
  nodes: NodeView[],
  services: SwarmService[],
  limit = 3,
): string[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const inPool = new Map<string, number>();
  for (const node of nodes.filter((n) => n.pool === pool)) {
    for (const task of node.tasks) {
      const image = byName.get(task.service)?.image;
      if (image) inPool.set(image, (inPool.get(image) ?? 0) + 1);
    }
  }
  const elsewhere = new Map<string, number>();
  for (const service of services) {
    if (!inPool.has(service.image))
      elsewhere.set(service.image, (elsewhere.get(service.image) ?? 0) + (service.replicas ?? 1));
  }
  const mostUsed = (counts: Map<string, number>) =>
    [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([image]) => image);
  return [...mostUsed(inPool), ...mostUsed(elsewhere)].slice(0, limit);
}
