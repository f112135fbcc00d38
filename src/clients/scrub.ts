/**
 * The daily scrub (`clients.scrubSchedule`): what is due for removal, removed, each
 * removal one line. Containers stopped (quit, not removed) for longer than
 * `clients.keepStoppedDays`; and the images of clients that were removed, no
 * container uses any more: the repositories of the client's own namespace (`CLIENT/…`,
 * where only builds for it write; image-ownership.ts), its owner matched whole, never
 * by a prefix of its name. Removed clients are found by the `client-remove` events.
 */
import { currentTasks, isContainer } from '../containers/container-view.js';
import type { Store } from '../store/store.js';
import type { OrchestratorSwarm } from '../swarm/index.js';
import type { RegistryApi } from '../cluster/registry-api.js';
import { imageOwner } from '../containers/image-ownership.js';

export interface ScrubDeps {
  manager: OrchestratorSwarm;
  store: Store;
  registry: Pick<RegistryApi, 'repositories' | 'deleteRepository'>;
  keepStoppedMs: number;
  now: number;
}

export async function scrub(deps: ScrubDeps): Promise<string[]> {
  const { manager, store, now } = deps;
  const removed: string[] = [];
  const [services, tasks] = await Promise.all([manager.listServices(), manager.listTasks()]);
  const containers = services.filter(isContainer);
  for (const service of containers) {
    if ((service.replicas ?? 0) > 0) continue;
    if (currentTasks(tasks.filter((t) => t.serviceId === service.id)).length > 0) continue;
    const stoppedAt = Date.parse(service.updatedAt);
    if (!(now - stoppedAt > deps.keepStoppedMs)) continue;
    await manager.removeService(service.id);
    removed.push(`container ${service.name}, stopped since ${new Date(stoppedAt).toISOString()}`);
  }

  const [events, clients] = await Promise.all([store.events(), store.clients()]);
  const present = new Set(clients.map((c) => c.name));
  const gone = new Set(
    events.filter((e) => e.action === 'client-remove' && !present.has(e.subject)).map((e) => e.subject), // prettier-ignore
  );
  if (gone.size === 0) return removed;
  const used = new Set(
    containers.map((s) => s.image.replace(/^[^/]+\//, '').replace(/[:@].*$/, '')),
  );
  for (const repository of await deps.registry.repositories()) {
    const owner = imageOwner(repository);
    if (owner === undefined || !gone.has(owner) || used.has(repository)) continue;
    const tags = await deps.registry.deleteRepository(repository);
    if (tags.length > 0) removed.push(`image ${repository} (${tags.join(', ')}) of removed client ${owner}`); // prettier-ignore
  }
  return removed;
}
