/**
 * A real Consul, when one is configured (`discovery.consulUrl`): the manager registers
 * the catalog's services in that agent's catalog too, each instance on its node, with
 * a check whose status is the instance's health, and deregisters what is gone. What
 * micado registered carries `micado=CLUSTER` (service and node meta), so each sync
 * reads Consul back and compares: a manager that starts, or a Consul back after an
 * outage, is brought in sync, and nothing stale is left. A Consul that refuses or is
 * down is one line (and one event) per outage, retried with backoff; the manager goes
 * on without it.
 */
import { readFileSync, statSync } from 'node:fs';
import { configError, messageOf } from '../errors.js';
import type { CatalogContent } from './catalog.js';
import type { ServiceCatalog } from './service-catalog.js';
import { WakeLoop } from '../wake-loop.js';
import { consulClient, type ConsulClient } from './consul-client.js';

const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 60_000;

export interface RegistrarOptions {
  url: string;
  token: string | undefined;
  cluster: string;
  /** An outage began (once per outage) or ended. */
  trouble: (message: string) => void;
  recovered: (message: string) => void;
}

interface Registration {
  node: string;
  address: string;
  service: {
    id: string;
    service: string;
    address: string;
    port: number;
    tags: string[];
    meta: Record<string, string>;
  };
  passing: boolean;
}

interface ConsulServiceEntry {
  Node: string;
  ServiceID: string;
  ServiceMeta?: Record<string, string>;
}

/** The ACL token: MICADO_CONSUL_TOKEN, else the file (its owner's only), else none. */
export function readConsulToken(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (env.MICADO_CONSUL_TOKEN) return env.MICADO_CONSUL_TOKEN;
  if (!file) return undefined;
  let mode: number;
  let token: string;
  try {
    mode = statSync(file).mode;
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw configError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}: write the Consul ACL token in it`,
    );
  }
  if ((mode & 0o077) !== 0)
    throw configError(`${file} is readable by group or others: run chmod 600 ${file}`);
  return token || undefined;
}

export class ConsulRegistrar {
  private readonly consul: ConsulClient;
  private readonly syncs = new WakeLoop(() => this.syncOnce());
  private retryMs = RETRY_FIRST_MS;
  private retry: NodeJS.Timeout | undefined;
  private failing = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly catalog: ServiceCatalog,
    private readonly options: RegistrarOptions,
  ) {
    this.consul = consulClient(options.url, options.token);
  }

  start(): void {
    this.unsubscribe = this.catalog.onChange(() => this.wake());
    this.wake();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.syncs.stop();
    // A sync that failed as it ended set a retry: wakes are over, so it is moot.
    clearTimeout(this.retry);
  }

  /** Sync now, or right after the sync under way. */
  wake(): void {
    this.syncs.wake();
  }

  /** One sync; a failure pauses the syncs until the retry, backing off. */
  private async syncOnce(): Promise<'pause' | void> {
    try {
      await this.sync(this.catalog.content);
      if (this.failing)
        this.options.recovered(`consul ${this.options.url} is reachable again: in sync`);
      this.failing = false;
      this.retryMs = RETRY_FIRST_MS;
    } catch (err) {
      if (!this.failing) {
        this.options.trouble(
          `consul ${this.options.url} failed (${messageOf(err)}): retrying with backoff`,
        );
      }
      this.failing = true;
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.wake(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      return 'pause';
    }
  }

  /** Make Consul's catalog hold exactly this cluster's registrations. */
  async sync(content: CatalogContent): Promise<void> {
    const mine = { micado: this.options.cluster };
    const wanted = registrationsOf(content, mine);
    const present = await this.registered();
    for (const registration of wanted) {
      await this.consul.catalog.register({
        node: registration.node,
        address: registration.address,
        nodemeta: mine,
        skipnodeupdate: false,
        service: registration.service,
        check: {
          node: registration.node,
          checkid: `service:${registration.service.id}`,
          name: `Service '${registration.service.service}' check`,
          serviceid: registration.service.id,
          status: registration.passing ? 'passing' : 'critical',
        },
      });
    }
    const keep = new Set(wanted.map((r) => `${r.node}/${r.service.id}`));
    for (const entry of present.filter((e) => !keep.has(`${e.Node}/${e.ServiceID}`))) {
      await this.consul.catalog.deregister({ node: entry.Node, serviceid: entry.ServiceID });
    }
    // Nodes micado registered that have left the swarm go with everything on them.
    const nodes = (await this.consul.catalog.node.list()) as {
      Node: string;
      Meta?: Record<string, string>;
    }[];
    const live = new Set(content.nodes.map((n) => n.name));
    for (const node of nodes.filter(
      (n) => n.Meta?.micado === this.options.cluster && !live.has(n.Node),
    )) {
      await this.consul.catalog.deregister({ node: node.Node });
    }
  }

  /** What this cluster has registered in Consul now. */
  private async registered(): Promise<ConsulServiceEntry[]> {
    const services = Object.keys(
      (await this.consul.catalog.service.list()) as Record<string, string[]>,
    );
    const entries: ConsulServiceEntry[] = [];
    for (const name of services) {
      const nodes = (await this.consul.catalog.service.nodes(name)) as ConsulServiceEntry[];
      entries.push(...nodes.filter((e) => e.ServiceMeta?.micado === this.options.cluster));
    }
    return entries;
  }
}

function registrationsOf(content: CatalogContent, mine: Record<string, string>): Registration[] {
  return content.services.flatMap((service) =>
    service.instances.map((instance) => ({
      node: instance.node,
      address: instance.address,
      passing: instance.passing,
      service: {
        id: instance.id,
        service: service.name,
        address: instance.address,
        port: instance.port,
        tags: service.tags,
        meta: {
          ...mine,
          client: service.client,
          image: service.image,
          ...(service.domain ? { domain: service.domain } : {}),
        },
      },
    })),
  );
}
