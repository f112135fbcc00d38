/** `micado services`: the service catalog, as the manager's Consul-compatible API serves it. */
import { catalogOf } from '../../discovery/catalog.js';
import type { CommandContext } from '../context.js';
import type { ServicesOptions } from './actions.js';
import { managerFor } from './manager-connection.js';

export async function servicesAction(
  { config, output }: CommandContext,
  options: ServicesOptions,
): Promise<void> {
  const { manager } = managerFor(config);
  const [nodes, services, tasks] = await Promise.all([
    manager.listNodes(),
    manager.listServices(),
    manager.listTasks(),
  ]);
  const catalog = catalogOf(nodes, services, tasks);
  if (options.json) return output.json(catalog);
  output.table(
    ['SERVICE', 'ORIGIN', 'CLIENT', 'DOMAIN', 'INSTANCES'],
    catalog.services.map((s) => [
      s.name,
      s.origin,
      s.client || '-',
      s.domain ?? '-',
      s.instances
        .map((i) => `${i.node} ${i.address}:${i.port} ${i.passing ? 'passing' : 'critical'}`)
        .join(', ') || '-',
    ]),
  );
}
