/**
 * The proxy's route agent: watches the catalog by Consul blocking queries through the
 * `consul` client (micado's Consul-compatible API, or a real Consul), renders the
 * routes, and hands them to nginx. Changes are gathered for a short while (200 ms) so
 * a burst of them is one reload; a render nginx refuses leaves the last good routes
 * in place, said once in one line.
 */
import Consul from 'consul';
import { messageOf } from '../errors.js';
import type { CatalogContent, CatalogService } from '../discovery/catalog.js';
import { renderRoutes, type ProxyListen } from './nginx-config.js';
import type { NginxControl } from './nginx-control.js';
import { routesOf } from './routes.js';

const DEBOUNCE_MS = 200;

type Watch = ReturnType<Consul['watch']>;

interface HealthEntry {
  Node: { Node: string };
  Service: { ID: string; Address: string; Port: number; Tags: string[] };
  Checks: { Status: string }[];
}

export interface RouteAgentOptions {
  /** The catalog's Consul API, http://HOST:PORT. */
  catalogUrl: string;
  listen: ProxyListen;
  nginx: NginxControl;
  log: (line: string) => void;
  /** Hears each render's outcome (tests and the bench time reloads with it). */
  onApplied?: (outcome: string) => void;
}

export class RouteAgent {
  private readonly consul: Consul;
  private listWatch: Watch | undefined;
  private readonly serviceWatches = new Map<string, Watch>();
  /** Domain services by name, with their instances as last heard. */
  private readonly services = new Map<string, CatalogService>();
  private timer: NodeJS.Timeout | undefined;
  private applying: Promise<void> = Promise.resolve();
  private lastProblem: string | undefined;

  constructor(private readonly options: RouteAgentOptions) {
    const url = new URL(options.catalogUrl);
    this.consul = new Consul({ host: url.hostname, port: Number(url.port || 80) });
  }

  start(): void {
    this.listWatch = this.consul.watch({ method: this.consul.catalog.service.list, options: {} });
    this.listWatch.on('change', (services: Record<string, string[]>) => this.onServices(services));
    this.listWatch.on('error', (err: Error) => this.problem(`catalog: ${messageOf(err)}`));
  }

  async stop(): Promise<void> {
    this.listWatch?.end();
    for (const watch of this.serviceWatches.values()) watch.end();
    clearTimeout(this.timer);
    await this.applying;
  }

  /** The service list changed: watch each service with a domain, drop the others. */
  private onServices(services: Record<string, string[]>): void {
    const withDomain = Object.entries(services).filter(([, tags]) =>
      tags.some((t) => t.startsWith('domain=')),
    );
    const wanted = new Set(withDomain.map(([name]) => name));
    for (const [name, watch] of this.serviceWatches) {
      if (wanted.has(name)) continue;
      watch.end();
      this.serviceWatches.delete(name);
      this.services.delete(name);
    }
    for (const [name, tags] of withDomain) {
      const domain = tags.find((t) => t.startsWith('domain='))!.slice('domain='.length);
      const known = this.services.get(name);
      this.services.set(name, { ...(known ?? emptyService(name)), domain, tags });
      if (this.serviceWatches.has(name)) continue;
      const watch = this.consul.watch({
        method: this.consul.health.service,
        options: { service: name } as never,
      });
      watch.on('change', (entries: HealthEntry[]) => this.onHealth(name, entries));
      watch.on('error', (err: Error) => this.problem(`service ${name}: ${messageOf(err)}`));
      this.serviceWatches.set(name, watch);
    }
    this.schedule();
  }

  private onHealth(name: string, entries: HealthEntry[]): void {
    const service = this.services.get(name);
    if (!service) return;
    service.instances = entries.map((e) => ({
      id: e.Service.ID,
      node: e.Node.Node,
      address: e.Service.Address,
      port: e.Service.Port,
      passing: e.Checks.every((c) => c.Status === 'passing'),
    }));
    this.schedule();
  }

  /** Gather changes for a moment: a burst of them is one render and one reload. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.applying = this.applying.then(() => this.render());
    }, DEBOUNCE_MS);
  }

  private async render(): Promise<void> {
    const content: CatalogContent = { nodes: [], services: [...this.services.values()] };
    const text = renderRoutes(routesOf(content), this.options.listen);
    try {
      const { outcome, detail } = await this.options.nginx.apply(text);
      if (outcome === 'refused')
        this.problem(`nginx refused the new routes (${detail}): serving the last good ones`);
      else this.lastProblem = undefined;
      if (outcome === 'reloaded')
        this.options.log(`routes: ${routesOf(content).length} domain(s), nginx reloaded`);
      this.options.onApplied?.(outcome);
    } catch (err) {
      this.problem(`applying the routes failed: ${messageOf(err)}`);
    }
  }

  /** One line per problem, not one per retry of it. */
  private problem(message: string): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.options.log(message);
  }
}

function emptyService(name: string): CatalogService {
  return { name, client: '', image: '', domain: undefined, ports: [], tags: [], instances: [] };
}
