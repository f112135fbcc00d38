/**
 * The manager daemon: the reconcile loop, the monitor's cron, the service catalog and
 * the HTTP face (/healthz, /metrics, the dashboard, the catalog's /v1/ and /prometheus/targets), wired together over one
 * swarm and one store, until told to stop. Node starts under way are left on stop:
 * the ledger has them, and the next manager resumes them.
 */
import { Autoscaler } from '../autoscaler/autoscaler.js';
import type { MicadoConfig } from '../config/config.js';
import { Monitor } from '../monitor/monitor.js';
import { reportLine } from '../monitor/report-line.js';
import { configuredDrivers } from '../nodes/node-drivers.js';
import { nodeEngineOf } from '../nodes/node-engine.js';
import type { SwarmEntry } from '../nodes/node-lifecycle.js';
import { NodeProvisioner } from '../nodes/node-provisioner.js';
import type { Store } from '../store/store.js';
import type { SwarmClient } from '../swarm/index.js';
import { refuse, serveStatus } from './status-server.js';
import { ServiceCatalog } from '../discovery/service-catalog.js';
import { catalogHandler, serveCatalog } from '../discovery/catalog-server.js';
import { ConsulRegistrar, readConsulToken } from '../discovery/consul-registrar.js';
import {
  listenerCertificate,
  listenerTokens,
  listenerUrl,
  mayRead,
} from '../host/listener-access.js';
import { bootSecretsDir, tokenFiles } from '../config/token-files.js';
import { clusterTlsFiles } from '../host/certificates.js';
import { OneTimeSecrets } from '../host/one-time-secrets.js';
import type { IncomingMessage } from 'node:http';
import { DashboardFeed } from '../dashboard/dashboard-feed.js';
import { dashboardInputs } from '../dashboard/dashboard-inputs.js';
import { dashboardAssetsDir, dashboardHandler } from '../dashboard/dashboard-server.js';
import { storeWithChanges } from '../dashboard/store-changes.js';
import { scrub, type ScrubDeps } from '../clients/scrub.js';
import { configError, messageOf } from '../errors.js';
import { isCronExpression, onSchedule } from '../host/cron-schedule.js';
import { cloudPricedFlavours } from '../cloudbroker/cloud-prices.js';

export interface ManagerDaemonDeps {
  config: MicadoConfig;
  manager: SwarmClient;
  store: Store;
  /** Where new nodes join. */
  entry: SwarmEntry;
  /** The private registry, as the scrub deletes from it. */
  registry: ScrubDeps['registry'];
  log: (line: string) => void;
}

/** Run the manager until `stopped` resolves (with the reason, for the log). */
export async function runManagerDaemon(
  deps: ManagerDaemonDeps,
  stopped: Promise<string>,
): Promise<void> {
  const { config, manager, entry, log } = deps;
  const now = Date.now;
  // Every write the manager makes to the store is news for the dashboard's open pages.
  let dashboardChanged = () => {};
  const store = storeWithChanges(deps.store, () => dashboardChanged());
  // Off loopback, each listener speaks TLS and asks for a token (listener-access.ts).
  const catalogListen = new URL(entry.catalog).host;
  const managerTokens = listenerTokens(tokenFiles(config), config.manager.listen);
  const catalogTokens = listenerTokens(tokenFiles(config), catalogListen);
  const clusterTls = clusterTlsFiles(config.stateDir);
  const managerTls = managerTokens && (await listenerCertificate(clusterTls, 'manager', config.manager.listen)); // prettier-ignore
  const catalogTls = catalogTokens && (await listenerCertificate(clusterTls, 'catalog', catalogListen)); // prettier-ignore
  const access = { token: managerTokens?.operator, secure: managerTls !== undefined };
  if (!isCronExpression(config.clients.scrubSchedule))
    throw configError(`clients.scrubSchedule '${config.clients.scrubSchedule}' is not a cron expression: use e.g. '30 3 * * *' (daily at 03:30)`); // prettier-ignore
  const quiet = config.autoscaler.consolidationQuietHours;
  if (quiet !== '' && !isCronExpression(quiet))
    throw configError(`autoscaler.consolidationQuietHours '${quiet}' is not a cron expression: use e.g. '* 8-18 * * 1-5' (weekdays 08:00 to 18:59 quiet), or '' for none`); // prettier-ignore
  const drivers = configuredDrivers(config);
  const provisioner = new NodeProvisioner({ manager, entry, config, store, now, drivers });
  // What the decisions weigh: flavours priced by the configuration, else by cloudsetup.xml.
  const priced = { ...config, flavours: cloudPricedFlavours(config) };
  const autoscaler = new Autoscaler({ manager, config: priced, store, provisioner, drivers, log, now }); // prettier-ignore
  const staleAfter = 3 * config.autoscaler.scanIntervalMs + 5_000;
  // A bad token file is a configuration error, found before anything starts.
  const consulToken = config.discovery.consulUrl
    ? readConsulToken(config.discovery.consulTokenFile)
    : undefined;
  const catalog = new ServiceCatalog(manager, { resyncMs: config.discovery.resyncMs, log });
  await catalog.start();
  const identity = {
    datacenter: config.cluster.name,
    nodeName: catalog.content.nodes.find((n) => n.meta.role === 'manager')?.name ?? 'manager',
    address: entry.managerAddress.split(':')[0]!,
  };
  const registrar = config.discovery.consulUrl
    ? new ConsulRegistrar(catalog, {
        url: config.discovery.consulUrl,
        token: consulToken,
        cluster: config.cluster.name,
        trouble: (message) => {
          log(message);
          void store
            .recordEvent({
              at: now(),
              actor: 'manager',
              action: 'discovery',
              subject: 'consul',
              message,
            })
            .catch(() => undefined);
        },
        recovered: log,
      })
    : undefined;
  registrar?.start();
  const catalogApi = catalogHandler(catalog, identity);
  const feed = new DashboardFeed(
    dashboardInputs({ config, catalog, store, pools: () => autoscaler.pools, now }),
    { log },
  );
  dashboardChanged = () => feed.changed();
  feed.start();
  const dashboard = dashboardHandler(feed, access, dashboardAssetsDir());
  const server = await serveStatus(config.manager.listen, {
    unhealthy: () => {
      if (now() - autoscaler.lastCycleOk <= staleAfter) return undefined;
      return autoscaler.lastError ?? `no reconcile cycle has finished in ${staleAfter / 1000} s`;
    },
    metrics: () => autoscaler.metrics.render(),
    mayRead: (request) => mayRead(request, managerTokens),
    tls: managerTls,
    more: async (request, response) => {
      if (await dashboard(request, response)) return true;
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      if (!mayRead(request, managerTokens)) {
        refuse(response);
        return true;
      }
      return catalogApi(request, response);
    },
  });
  const catalogGuard = catalogTokens && {
    mayRead: (r: IncomingMessage) => mayRead(r, catalogTokens),
    tls: catalogTls,
    bootSecrets: new OneTimeSecrets(bootSecretsDir(config)),
  };
  const catalogServer = await serveCatalog(catalogListen, catalogApi, catalogGuard).catch(
    (err: unknown) => {
      server.close();
      throw err;
    },
  );
  const monitor = new Monitor({
    manager,
    store,
    engineFor: (node) => nodeEngineOf(config, node, { timeoutMs: config.monitor.nodeTimeoutMs }),
    options: config.monitor,
  });
  const scrubbing = onSchedule(config.clients.scrubSchedule, 'micado-scrub', async () => {
    try {
      const removed = await scrub({ manager, store, registry: deps.registry, now: now(),
          keepStoppedMs: config.clients.keepStoppedDays * 86_400_000 }); // prettier-ignore
      log(`scrub: ${removed.length === 0 ? 'nothing due' : `removed ${removed.join('; ')}`}`);
      for (const line of removed)
          await store.recordEvent({ at: now(), actor: 'manager', action: 'scrub', subject: line.split(' ')[1]!, message: `removed ${line}` }); // prettier-ignore
    } catch (err) {
      log(`scrub: failed: ${messageOf(err)}`);
    }
  });
  // The manager's monitor is the one that meters usage for reports.
  const task = monitor.schedule(
    config.monitor.schedule,
    {
      report: (report) => log(`monitor: ${reportLine(report)}`),
      failure: (message) => log(`monitor: refresh failed: ${message}`),
      skipped: () => log('monitor: the previous refresh is still running: tick skipped'),
    },
    { meterUsage: true },
  );
  try {
    await autoscaler.start();
    const pools = Object.entries(config.pools)
      .map(([name, p]) => `${name} (${p.driver} ${p.flavour}, ${p.min}-${p.max})`)
      .join(', ');
    log(
      `manager up${config.autoscaler.dryRun ? ' in dry-run' : ''}: pools ${pools || 'none'}; ` +
        `store ${store.description}; ${listenerUrl(config.manager.listen)}/metrics`,
    );
    log(`${await stopped}: stopping`);
  } finally {
    feed.stop();
    for (const open of [server, catalogServer]) {
      open.closeAllConnections();
      open.close();
    }
    await registrar?.stop();
    await catalog.stop();
    await task.stop();
    await scrubbing.stop();
    await autoscaler.stop();
    await monitor.idle();
  }
}
