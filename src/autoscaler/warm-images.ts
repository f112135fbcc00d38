/**
 * What a warm node pulls while it waits: the images its pool's containers use most,
 * then those they used lately (a container that came and went comes again), then the
 * cluster's other containers' images, so the task that wakes it starts without a pull.
 * Fed each cycle's view and services; no engine here.
 */
import type { SwarmService } from '../swarm/index.js';
import type { NodeView } from './cluster-view.js';

/** How long an image a pool no longer runs is still worth pulling for it. */
const REMEMBERED_MS = 24 * 3_600_000;

export class PoolImages {
  /** Per pool: each image's tasks at the last look, and when it last ran there. */
  private readonly pools = new Map<string, Map<string, { tasks: number; lastSeen: number }>>();
  private services: SwarmService[] = [];

  /** What runs where now. */
  observe(nodes: NodeView[], services: SwarmService[], now: number): void {
    this.services = services;
    const byName = new Map(services.map((s) => [s.name, s.image]));
    for (const images of this.pools.values()) {
      for (const [image, seen] of images) {
        if (now - seen.lastSeen > REMEMBERED_MS) images.delete(image);
        else seen.tasks = 0;
      }
    }
    for (const node of nodes) {
      if (!node.pool) continue;
      const images = this.pools.get(node.pool) ?? new Map();
      this.pools.set(node.pool, images);
      for (const task of node.tasks) {
        const image = byName.get(task.service);
        if (!image) continue;
        const seen = images.get(image) ?? { tasks: 0, lastSeen: now };
        images.set(image, { tasks: seen.tasks + 1, lastSeen: now });
      }
    }
  }

  /** Images a new or warm node of `pool` should hold, `first` first, at most `limit`. */
  toSeed(pool: string, limit: number, first: string[] = []): string[] {
    const mine = [...(this.pools.get(pool) ?? [])]
      .sort(([a, x], [b, y]) => y.tasks - x.tasks || y.lastSeen - x.lastSeen || a.localeCompare(b))
      .map(([image]) => image);
    const elsewhere = new Map<string, number>();
    for (const s of this.services.filter((s) => !mine.includes(s.image)))
      elsewhere.set(s.image, (elsewhere.get(s.image) ?? 0) + (s.replicas ?? 1));
    const others = [...elsewhere]
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([image]) => image);
    return [...new Set([...first, ...mine, ...others])].slice(0, limit);
  }
}
