/**
 * The service catalog: what runs where, derived from Swarm (the source of truth). Each
 * container (a micado service) is a catalog service named after it, with the
 * original's tags (client, image, domain, and path when it has one) as `key=value`, and
 * one instance per live task: the node it runs on, that node's address and the port
 * published there for it (the engine's choice for a container with a domain).
 * Each swarm node is a catalog node with its machine's labels. Pure: every shape is
 * unit-tested without an engine.
 */
import { currentTasks, originOf } from '../containers/container-view.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../swarm/index.js';
import { CONTAINER_LABEL, NODE_LABEL } from '../swarm/labels.js';

export interface CatalogNode {
  /** The swarm node's hostname: its name in the catalog. */
  name: string;
  id: string;
  address: string;
  /** ready, down, …: a node that is not ready fails its instances' health. */
  state: string;
  /** Its machine's labels: instance, pool, flavour, cloud, role (only those it has). */
  meta: Record<string, string>;
}

export interface ServiceInstance {
  /** SERVICE-SLOT (or SERVICE-TASK for tasks without a slot): stable while the task lives. */
  id: string;
  node: string;
  address: string;
  /** The port the node publishes for the task's first target port (0 when none is). */
  port: number;
  /**
   * Running on a ready node that is not being given back (its tasks leave the proxies
   * first). A task Swarm is stopping is no instance at all: it leaves before it stops.
   */
  passing: boolean;
}

export interface CatalogService {
  name: string;
  /** Where it came from: micado, stack NAME, or service. */
  origin: string;
  client: string;
  image: string;
  domain: string | undefined;
  /** The domain's path prefix it serves; all of the domain when undefined. */
  path?: string;
  /** Published ports the service fixes (a container with a domain has the engine choose). */
  ports: number[];
  tags: string[];
  instances: ServiceInstance[];
}

export interface CatalogContent {
  nodes: CatalogNode[];
  services: CatalogService[];
}

const NODE_META = {
  instance: NODE_LABEL.instance,
  pool: NODE_LABEL.pool,
  flavour: NODE_LABEL.flavour,
  cloud: NODE_LABEL.cloud,
  role: NODE_LABEL.role,
} as const;

export function catalogOf(
  nodes: SwarmNode[],
  services: SwarmService[],
  tasks: SwarmTask[],
): CatalogContent {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return {
    nodes: nodes.map(catalogNode).sort((a, b) => a.name.localeCompare(b.name)),
    // Every service: a stack's labelled with micado.domain is served as a launch's is.
    services: services
      .map((service) => catalogService(service, tasks, byId))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function catalogNode(node: SwarmNode): CatalogNode {
  const labels = { ...node.engineLabels, ...node.labels };
  const meta: Record<string, string> = {};
  for (const [key, label] of Object.entries(NODE_META)) {
    if (labels[label]) meta[key] = labels[label];
  }
  meta.role ??= node.role;
  return { name: node.hostname, id: node.id, address: node.address, state: node.state, meta };
}

function catalogService(
  service: SwarmService,
  tasks: SwarmTask[],
  nodes: Map<string, SwarmNode>,
): CatalogService {
  const client = service.labels[CONTAINER_LABEL.client] ?? '';
  const image = service.labels[CONTAINER_LABEL.image] ?? service.image;
  const domain = service.labels[CONTAINER_LABEL.domain];
  const path = domain ? service.labels[CONTAINER_LABEL.path] : undefined;
  const ports = service.ports.map((p) => p.published).filter((p) => p > 0);
  const target = service.ports[0]?.target;
  const placed = currentTasks(tasks.filter((t) => t.serviceId === service.id)).filter(
    (t) => t.nodeId && nodes.has(t.nodeId),
  );
  const instances = placed
    .map((task) => {
      const node = nodes.get(task.nodeId!)!;
      return {
        id: `${service.name}-${task.slot ?? task.id.slice(0, 12)}`,
        node: node.hostname,
        address: node.address,
        port: task.ports.find((p) => p.target === target)?.published || ports[0] || 0,
        passing:
          task.state === 'running' &&
          node.state === 'ready' &&
          node.labels[NODE_LABEL.scalingDown] === undefined,
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  const tags = [`client=${client}`, `image=${image}`];
  if (domain) tags.push(`domain=${domain}`);
  if (path) tags.push(`path=${path}`);
  return {
    name: service.name,
    origin: originOf(service),
    client,
    image,
    domain,
    ...(path ? { path } : {}),
    ports,
    tags,
    instances,
  };
}
