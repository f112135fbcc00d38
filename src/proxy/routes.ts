/**
 * What the proxy serves, from the catalog: one route per domain a container asked for
 * (`launch -d`), to every passing instance of it. Domains are compared and served in
 * lower case; one that is not a valid host name never becomes a route (launch refuses
 * them, and a catalog read from elsewhere is not trusted to have).
 */
import type { CatalogContent } from '../discovery/catalog.js';

export interface Upstream {
  address: string;
  port: number;
}

export interface Route {
  domain: string;
  service: string;
  /** Passing instances that publish a port; empty: the domain answers 503. */
  upstreams: Upstream[];
}

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const ADDRESS = /^\d{1,3}(?:\.\d{1,3}){3}$/;

export const isHostName = (text: string) => HOST_NAME.test(text);

export function routesOf(catalog: CatalogContent): Route[] {
  const routes = new Map<string, Route>();
  for (const service of catalog.services) {
    const domain = service.domain?.toLowerCase();
    if (!domain || !isHostName(domain) || routes.has(domain)) continue;
    const upstreams = service.instances
      .filter((i) => i.passing && i.port > 0 && i.port < 65_536 && ADDRESS.test(i.address))
      .map((i) => ({ address: i.address, port: i.port }))
      .sort((a, b) => `${a.address}:${a.port}`.localeCompare(`${b.address}:${b.port}`));
    routes.set(domain, { domain, service: service.name, upstreams });
  }
  return [...routes.values()].sort((a, b) => a.domain.localeCompare(b.domain));
}
