/**
 * What the proxy serves, from the catalog: one route per domain and path prefix a
 * container asked for (`launch -d [--path]`), to every passing instance of it. Domains
 * are compared and served in lower case; a domain that is not a valid host name, or a
 * path that is not a clean prefix, never becomes a route (launch refuses them, and a
 * catalog read from elsewhere is not trusted to have).
 */
import type { CatalogContent } from '../discovery/catalog.js';
import { isHostName, isRoutePath } from '../containers/route-address.js';

export interface Upstream {
  address: string;
  port: number;
}

export interface Route {
  domain: string;
  /** The path prefix (`/api`); undefined: the whole domain, less its other routes' prefixes. */
  path: string | undefined;
  service: string;
  /** Passing instances that publish a port; empty: the route answers 503. */
  upstreams: Upstream[];
}

const ADDRESS = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** The route's name where nginx and its Lua balancer meet: DOMAIN/ or DOMAIN/PREFIX. */
export const routeKey = (route: Pick<Route, 'domain' | 'path'>) =>
  `${route.domain}${route.path ?? '/'}`;

export function routesOf(catalog: CatalogContent): Route[] {
  const routes = new Map<string, Route>();
  for (const service of catalog.services) {
    const domain = service.domain?.toLowerCase();
    if (!domain || !isHostName(domain)) continue;
    const path = service.path;
    if (path !== undefined && !isRoutePath(path)) continue;
    const route = { domain, path, service: service.name, upstreams: [] as Upstream[] };
    if (routes.has(routeKey(route))) continue;
    route.upstreams = service.instances
      .filter((i) => i.passing && i.port > 0 && i.port < 65_536 && ADDRESS.test(i.address))
      .map((i) => ({ address: i.address, port: i.port }))
      .sort((a, b) => `${a.address}:${a.port}`.localeCompare(`${b.address}:${b.port}`));
    routes.set(routeKey(route), route);
  }
  return [...routes.values()].sort((a, b) => routeKey(a).localeCompare(routeKey(b)));
}
