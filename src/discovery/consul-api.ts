/**
 * The catalog as Consul's HTTP API serves it (read-only), so tools that speak Consul
 * (the consul npm client, python-consul, Prometheus' consul_sd_configs) read micado's
 * catalog with no Consul server: /v1/catalog/services, /v1/catalog/service/:name,
 * /v1/health/service/:name, /v1/catalog/nodes, /v1/catalog/node/:node, /v1/agent/self,
 * /v1/status/leader. Blocking queries as Consul does them: `?index=N&wait=D` waits
 * until what the endpoint covers changes past N (or D, at most 10 min, passes), and
 * every answer carries X-Consul-Index. Answers for unknown names are Consul's own
 * (`[]` for a service, `null` for a node).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CatalogNode, CatalogService, ServiceInstance } from './catalog.js';
import type { CatalogScope, ServiceCatalog } from './service-catalog.js';
import { PerAddressLimit } from '../host/http-limits.js';

export interface ConsulIdentity {
  /** The datacenter the catalog answers for: the cluster's name. */
  datacenter: string;
  /** The manager's node name and address, as the agent answering. */
  nodeName: string;
  address: string;
}

const DEFAULT_WAIT_MS = 5 * 60_000;
const MAX_WAIT_MS = 10 * 60_000;
const DURATION = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration as Consul reads `wait` (a bare number is seconds), in ms. */
export function parseWait(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] ?? 's']!;
}

class BadRequest extends Error {}

/**
 * Blocking queries one address may keep waiting at once: a proxy's route agent holds
 * one per domain it serves, and one for the service list.
 */
export const BLOCKING_PER_ADDRESS = 512;

/** Serve a /v1/ request; false when the path is not one of Consul's. */
export async function serveConsul(
  catalog: ServiceCatalog,
  identity: ConsulIdentity,
  request: IncomingMessage,
  response: ServerResponse,
  /** Blocking queries waiting, per address (one count across a handler's listeners). */
  waiting: PerAddressLimit,
): Promise<boolean> {
  const url = new URL(request.url ?? '/', 'http://catalog');
  if (!url.pathname.startsWith('/v1/')) return false;
  const route = routeOf(url.pathname);
  if (!route) {
    text(response, 404, `Invalid URL path: not a micado catalog endpoint: ${url.pathname}\n`);
    return true;
  }
  try {
    const { index, waitMs } = blocking(url.searchParams);
    if (index !== undefined) {
      const address = request.socket.remoteAddress ?? '';
      if (!waiting.enter(address)) {
        text(response, 429, `Too many blocking queries from ${address}: at most ${waiting.max} at once\n`); // prettier-ignore
        return true;
      }
      try {
        await catalog.changeAfter(route.scope, index, jittered(waitMs));
      } finally {
        waiting.leave(address);
      }
    }
    const body = route.answer(catalog, identity, url.searchParams);
    response.writeHead(200, {
      'content-type': 'application/json',
      'x-consul-index': String(catalog.indexOf(route.scope)),
      'x-consul-knownleader': 'true',
      'x-consul-lastcontact': '0',
    });
    response.end(JSON.stringify(body));
  } catch (err) {
    if (!(err instanceof BadRequest)) throw err;
    text(response, 400, `${err.message}\n`);
  }
  return true;
}

interface Route {
  scope: CatalogScope;
  answer(catalog: ServiceCatalog, identity: ConsulIdentity, query: URLSearchParams): unknown;
}

function routeOf(path: string): Route | undefined {
  const [, , group, what, ...rest] = path.split('/');
  const name = decodeURIComponent(rest.join('/'));
  const key = `${group}/${what}`;
  if (key === 'catalog/services' && !name)
    return { scope: { kind: 'services' }, answer: servicesAnswer };
  if (key === 'catalog/nodes' && !name) return { scope: { kind: 'nodes' }, answer: nodesAnswer };
  if (key === 'catalog/service' && name)
    return {
      scope: { kind: 'service', name },
      answer: (c, id, q) => catalogServiceAnswer(c, id, name, q),
    };
  if (key === 'health/service' && name)
    return { scope: { kind: 'service', name }, answer: (c, id, q) => healthAnswer(c, id, name, q) };
  if (key === 'catalog/node' && name)
    return { scope: { kind: 'all' }, answer: (c, id) => nodeAnswer(c, id, name) };
  if (key === 'agent/self' && !name)
    return { scope: { kind: 'all' }, answer: (_c, id) => agentSelf(id) };
  if (key === 'status/leader' && !name)
    return { scope: { kind: 'all' }, answer: (_c, id) => `${id.address}:8300` };
  return undefined;
}

function blocking(query: URLSearchParams): { index: number | undefined; waitMs: number } {
  const rawIndex = query.get('index');
  const rawWait = query.get('wait');
  let index: number | undefined;
  if (rawIndex !== null && rawIndex !== '') {
    if (!/^\d+$/.test(rawIndex)) throw new BadRequest('Invalid index');
    index = Number(rawIndex);
  }
  let waitMs = DEFAULT_WAIT_MS;
  if (rawWait !== null && rawWait !== '') {
    const parsed = parseWait(rawWait);
    if (parsed === undefined) throw new BadRequest('Invalid wait time');
    waitMs = Math.min(parsed, MAX_WAIT_MS);
  }
  return { index, waitMs };
}

/** Consul adds up to wait/16 at random, so that watchers do not all wake at once. */
const jittered = (waitMs: number) => waitMs + Math.random() * (waitMs / 16);

const withTags = (services: CatalogService[], query: URLSearchParams) => {
  const wanted = query.getAll('tag');
  return services.filter((s) => wanted.every((tag) => s.tags.includes(tag)));
};

function servicesAnswer(catalog: ServiceCatalog): Record<string, string[]> {
  return Object.fromEntries(catalog.content.services.map((s) => [s.name, s.tags]));
}

function nodeBody(
  node: CatalogNode | undefined,
  identity: ConsulIdentity,
  fallback: ServiceInstance,
) {
  return {
    ID: node?.id ?? '',
    Node: node?.name ?? fallback.node,
    Address: node?.address ?? fallback.address,
    Datacenter: identity.datacenter,
    TaggedAddresses: { lan: node?.address ?? fallback.address },
    Meta: node?.meta ?? {},
  };
}

function nodesAnswer(catalog: ServiceCatalog, identity: ConsulIdentity) {
  return catalog.content.nodes.map((node) => ({
    ...nodeBody(node, identity, { node: node.name, address: node.address } as ServiceInstance),
    CreateIndex: 1,
    ModifyIndex: catalog.indexOf({ kind: 'node', name: node.name }),
  }));
}

function serviceBody(service: CatalogService, instance: ServiceInstance) {
  return {
    ID: instance.id,
    Service: service.name,
    Tags: service.tags,
    Address: instance.address,
    Port: instance.port,
    Meta: {
      client: service.client,
      image: service.image,
      ...(service.domain ? { domain: service.domain } : {}),
      ...(service.path ? { path: service.path } : {}),
    },
  };
}

function instancesOf(catalog: ServiceCatalog, name: string, query: URLSearchParams) {
  const service = withTags(catalog.content.services, query).find((s) => s.name === name);
  const nodes = new Map(catalog.content.nodes.map((n) => [n.name, n]));
  return service
    ? service.instances.map((instance) => ({ service, instance, node: nodes.get(instance.node) }))
    : [];
}

function catalogServiceAnswer(
  catalog: ServiceCatalog,
  identity: ConsulIdentity,
  name: string,
  query: URLSearchParams,
) {
  const modify = catalog.indexOf({ kind: 'service', name });
  return instancesOf(catalog, name, query).map(({ service, instance, node }) => {
    const body = serviceBody(service, instance);
    const host = nodeBody(node, identity, instance);
    return {
      ID: host.ID,
      Node: host.Node,
      Address: host.Address,
      Datacenter: host.Datacenter,
      TaggedAddresses: host.TaggedAddresses,
      NodeMeta: host.Meta,
      ServiceID: body.ID,
      ServiceName: body.Service,
      ServiceTags: body.Tags,
      ServiceAddress: body.Address,
      ServicePort: body.Port,
      ServiceMeta: body.Meta,
      ServiceEnableTagOverride: false,
      CreateIndex: 1,
      ModifyIndex: modify,
    };
  });
}

function healthAnswer(
  catalog: ServiceCatalog,
  identity: ConsulIdentity,
  name: string,
  query: URLSearchParams,
) {
  const passingOnly = query.has('passing') && query.get('passing') !== 'false';
  return instancesOf(catalog, name, query)
    .filter(({ instance }) => !passingOnly || instance.passing)
    .map(({ service, instance, node }) => {
      const host = nodeBody(node, identity, instance);
      const nodeStatus = node?.state === 'ready' ? 'passing' : 'critical';
      return {
        Node: host,
        Service: serviceBody(service, instance),
        Checks: [
          { Node: host.Node, CheckID: 'serfHealth', Name: 'Serf Health Status', Status: nodeStatus,
            Notes: '', Output: `node ${node?.state ?? 'unknown'}`, ServiceID: '', ServiceName: '', ServiceTags: [] },
          { Node: host.Node, CheckID: `service:${instance.id}`, Name: `Service '${service.name}' check`,
            Status: instance.passing ? 'passing' : 'critical', Notes: '',
            Output: instance.passing ? 'task running' : 'task not running', ServiceID: instance.id,
            ServiceName: service.name, ServiceTags: service.tags },
        ],
      };
    }); // prettier-ignore
}

function nodeAnswer(catalog: ServiceCatalog, identity: ConsulIdentity, name: string) {
  const node = catalog.content.nodes.find((n) => n.name === name);
  if (!node) return null;
  const services: Record<string, unknown> = {};
  for (const service of catalog.content.services) {
    for (const instance of service.instances.filter((i) => i.node === name)) {
      services[instance.id] = serviceBody(service, instance);
    }
  }
  return { Node: nodeBody(node, identity, {} as ServiceInstance), Services: services };
}

function agentSelf(identity: ConsulIdentity) {
  return {
    Config: {
      Datacenter: identity.datacenter,
      PrimaryDatacenter: identity.datacenter,
      NodeName: identity.nodeName,
      NodeID: '',
      Server: true,
      Revision: 'micado',
      Version: '1.15.0',
    },
    Member: {
      Name: identity.nodeName,
      Addr: identity.address,
      Port: 8301,
      Tags: { dc: identity.datacenter, role: 'consul', build: 'micado' },
      Status: 1,
    },
    Meta: {},
  };
}

function text(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}
