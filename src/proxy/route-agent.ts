/**
 * The proxy's route agent: watches the catalog by Consul blocking queries through the
 * `consul` client (micado's Consul-compatible API, or a real Consul) and hands nginx
 * the routes: each route's instances to the Lua balancer's shared memory (every change,
 * no reload), and the servers and locations as configuration (reloaded only when a
 * domain or path comes or goes). Changes are gathered for a short while (100 ms) so a
 * burst of them is one update; a configuration nginx refuses leaves the last good one
 * in place, said once in one line. The instances are handed again every few seconds,
 * so an nginx started afresh (its shared memory empty) has them at once.
 */
import { messageOf } from '../errors.js';
import type { CatalogContent, CatalogService } from '../discovery/catalog.js';
import { consulClient, type ConsulClient, type ConsulWatch } from '../discovery/consul-client.js';
import { peerTable, renderRoutes, type ProxyListen } from './nginx-config.js';
import type { ApplyOutcome, NginxControl } from './nginx-control.js';
import { routesOf } from './routes.js';

const DEBOUNCE_MS = 100;
const REPUBLISH_MS = 5_000;

interface HealthEntry {
  Node: { Node: string };
  Service: { ID: string; Address: string; Port: number; Tags: string[] };
  Checks: { Status: string }[];
}

export interface RouteAgentOptions {
  /** The catalog's Consul API, http://HOST:PORT, or https:// off the manager's loopback. */
  catalogUrl: string;
  /** The read token the catalog asks off loopback, and the CA of its certificate. */
  catalogToken?: string;
  catalogCa?: string;
  listen: ProxyListen;
  nginx: NginxControl;
  log: (line: string) => void;
  /** Hears each render's outcome (tests and the bench time reloads with it). */
  onApplied?: (outcome: 'published' | ApplyOutcome) => void;
}

export class RouteAgent {
  private readonly consul: ConsulClient;
  private listWatch: ConsulWatch | undefined;
  private readonly serviceWatches = new Map<string, ConsulWatch>();
  /** Domain services by name, with their instances as last heard. */
  private readonly services = new Map<string, CatalogService>();
  private timer: NodeJS.Timeout | undefined;
  private republish: NodeJS.Timeout | undefined;
  private applying: Promise<void> = Promise.resolve();
  /** The peer table nginx last took; undefined: hand it over at the next update. */
  private published: string | undefined;
  /** What went wrong at the last try, each said once. */
  private problems = new Set<string>();
  private watchProblem: string | undefined;

  constructor(private readonly options: RouteAgentOptions) {
    this.consul = consulClient(options.catalogUrl, options.catalogToken, options.catalogCa);
  }

  start(): void {
    this.listWatch = this.consul.watch({ method: this.consul.catalog.service.list, options: {} });
    this.listWatch.on('change', (services: Record<string, string[]>) => this.onServices(services));
    this.listWatch.on('error', (err: Error) => this.problem(`catalog: ${messageOf(err)}`));
    this.republish = setInterval(() => {
      this.published = undefined;
      this.schedule();
    }, REPUBLISH_MS);
  }

  async stop(): Promise<void> {
    this.listWatch?.end();
    for (const watch of this.serviceWatches.values()) watch.end();
    clearTimeout(this.timer);
    clearInterval(this.republish);
    await this.applying;
  }

  /** The service list changed: watch each service with a domain, drop the others. */
  private onServices(services: Record<string, string[]>): void {
    this.watchProblem = undefined;
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
      const tag = (key: string) => tags.find((t) => t.startsWith(`${key}=`))?.slice(key.length + 1); // prettier-ignore
      const known = this.services.get(name);
      this.services.set(name, { ...(known ?? emptyService(name)), domain: tag('domain'), path: tag('path'), tags }); // prettier-ignore
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
    const routes = routesOf(content);
    const problems: string[] = [];
    // Instances first: a server about to appear finds its peers there.
    const table = peerTable(routes);
    if (table !== this.published) {
      try {
        await this.options.nginx.publishPeers(table);
        this.published = table;
        this.options.onApplied?.('published');
      } catch (err) {
        problems.push(`handing nginx the routes' instances failed: ${messageOf(err)}`);
      }
    }
    try {
      const { outcome, detail } = await this.options.nginx.apply(
        renderRoutes(routes, this.options.listen),
      );
      if (outcome === 'refused')
        problems.push(`nginx refused the new routes (${detail}): serving the last good ones`);
      if (outcome === 'reloaded')
        this.options.log(`routes: ${routes.length} route(s), nginx reloaded`);
      this.options.onApplied?.(outcome);
    } catch (err) {
      problems.push(`applying the routes failed: ${messageOf(err)}`);
    }
    this.report(problems);
  }

  /** One line per problem when it starts, not one per retry of it. */
  private report(problems: string[]): void {
    for (const problem of problems) if (!this.problems.has(problem)) this.options.log(problem);
    this.problems = new Set(problems);
  }

  /** A watch's problem: said once, until the catalog answers again. */
  private problem(message: string): void {
    if (message !== this.watchProblem) this.options.log(message);
    this.watchProblem = message;
  }
}

function emptyService(name: string): CatalogService {
  return { name, origin: '', client: '', image: '', domain: undefined, ports: [], tags: [], instances: [] }; // prettier-ignore
}
