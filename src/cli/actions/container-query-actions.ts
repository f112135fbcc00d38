/** list, info and logs: what the engine knows of containers and nodes. */
import pLimit from 'p-limit';
import { checkServiceName } from '../../containers/container-names.js';
import { listContainers } from '../../containers/container-operations.js';
import { containerInfo, type ContainerInfo } from '../../containers/container-info.js';
import { clusterStatus } from '../../cluster/cluster-status.js';
import { allInstances } from '../../nodes/node-drivers.js';
import { instanceRows } from '../../nodes/instance-rows.js';
import { amountOf } from '../../swarm/index.js';
import { messageOf, usageError } from '../../errors.js';
import type { MicadoConfig } from '../../config/config.js';
import { instanceUsage, serviceUsage, usedOf, type Usage } from '../../monitor/usage.js';
import { openExistingStore } from '../../store/open-store.js';
import type { Amount, ContainerRecord, InstanceRecord, Store } from '../../store/store.js';
import type { CommandContext } from '../context.js';
import { timeLeft, WARN_BEFORE_MS } from '../../clients/time-limits.js';
import type { Output } from '../output.js';
import type { InfoOptions, ListOptions, LogsOptions } from './actions.js';
import { findContainer, managerFor } from './manager-connection.js';
import { catalogOf, type CatalogService } from '../../discovery/catalog.js';
import { proxyRouting } from '../../proxy/route-probe.js';
import { httpFailure } from '../../host/http-probe.js';
import type { ContainerView } from '../../containers/container-view.js';
import type { SwarmNode } from '../../swarm/index.js';
import { CONTAINER_LABEL, NODE_LABEL } from '../../swarm/labels.js';

/** How long a proxy or an upstream has to answer a check. */
const CHECK_TIMEOUT_MS = 2_000;
const PROXY_CHECKS_AT_ONCE = 16;

/** The addresses of the Ready proxies. */
function proxiesOf(nodes: SwarmNode[]): string[] {
  return nodes
    .filter((n) => n.engineLabels[NODE_LABEL.role] === 'proxy' && n.state === 'ready')
    .map((n) => n.address);
}

/**
 * "served" in a listing is the proxies' own word: each Ready proxy is asked whether it
 * routes the container's domain and path, and to how many instances.
 */
async function askProxies<T extends Pick<ContainerView, 'domain' | 'path' | 'proxied'>>(
  views: T[],
  nodes: SwarmNode[],
): Promise<T[]> {
  const proxies = proxiesOf(nodes);
  // A few routes asked at a time: a listing of a thousand domains opens no thousand sockets.
  const asking = pLimit(PROXY_CHECKS_AT_ONCE);
  return Promise.all(
    views.map(async (view) =>
      view.domain && proxies.length > 0
        ? {
            ...view,
            proxied: await asking(() => proxyRouting(proxies, view.domain!, view.path, CHECK_TIMEOUT_MS)), // prettier-ignore
          }
        : view,
    ),
  );
}

export async function listAction(
  { config, output }: CommandContext,
  options: ListOptions,
): Promise<void> {
  const showContainers = options.containers || !options.instance;
  const { layout, manager } = managerFor(config);
  const [listed, status, machines, measured] = await Promise.all([
    showContainers ? listContainers(manager, options.all ?? false) : undefined,
    options.instance ? clusterStatus(layout) : undefined,
    options.instance ? allInstances(config) : undefined,
    latestMeasurements(config, output),
  ]);
  const views =
    listed && listed.some((c) => c.domain)
      ? await askProxies(listed, await manager.listNodes())
      : listed;
  const containers = views?.map((c) => ({
    ...c,
    usage: serviceUsage(measured.containers, c.name),
    reservedPerReplica: measured.reserved.get(c.name),
  }));
  const instances =
    status && machines
      ? instanceRows(
          machines.map((m) => m.instance),
          status.nodes,
        ).map((row) => ({ ...row, ...instanceUsage(measured.instances, row.instance) }))
      : undefined;
  if (options.json) return output.json({ containers, instances });
  if (containers) {
    output.table(
      [
        'CONTAINER',
        'IMAGE',
        'STATE',
        'REPLICAS',
        'NODE',
        'CPU (m) used/rsv',
        'MEM (MB) used/rsv',
        'PORTS',
        'DOMAIN',
        'ORIGIN',
      ],
      containers.map((c) => {
        const replicas = c.usage?.replicas ?? 0;
        return [
          c.name,
          c.image,
          c.reason && c.state !== 'running' ? `${c.state} (${c.reason})` : c.state,
          `${c.replicas.running}/${c.replicas.desired}`,
          c.nodes.join(',') || '-',
          c.usage
            ? usedOf(c.usage.cpuMilli, (c.reservedPerReplica?.cpuMilli ?? 0) * replicas)
            : '-',
          c.usage
            ? usedOf(c.usage.memoryMb, (c.reservedPerReplica?.memoryMb ?? 0) * replicas)
            : '-',
          c.ports.join(',') || '-',
          c.domain ? `${c.domain}${c.path ?? ''} (${c.proxied})` : '-',
          c.origin,
        ];
      }),
    );
    // Those whose time runs out within the hour, with what to do about it.
    const now = Date.now();
    for (const c of containers) {
      const at = c.expires === undefined ? NaN : Date.parse(c.expires);
      if (at - now < WARN_BEFORE_MS)
        output.warn(`${c.name} is removed in ${timeLeft(at, now)}: extend it with micado extend -n ${c.name} --ttl 4h`); // prettier-ignore
    }
  }
  if (instances) {
    if (containers) output.line('');
    // A cloud that says more (its own id, its cost so far) gets columns for it.
    const cloudIds = instances.some((i) => i.cloudId);
    const costs = instances.some((i) => i.cost);
    output.table(
      [
        'INSTANCE',
        'CLOUD',
        'POOL',
        'FLAVOUR',
        'TAG',
        'ADDRESS',
        'STATE',
        'NODE',
        'CPU (m) rsv/free',
        'MEM (MB) rsv/free',
        'USING cpu mem',
        ...(cloudIds ? ['CLOUD ID'] : []),
        ...(costs ? ['COST'] : []),
      ],
      instances.map((i) => [
        i.instance,
        i.cloud,
        i.pool ?? '-',
        i.flavour ?? '-',
        i.tag ?? '-',
        i.address ?? '-',
        i.state,
        i.availability && i.node !== '-' ? `${i.node}/${i.availability}` : i.node,
        `${i.reserved.cpuMilli}/${i.capacity.cpuMilli - i.reserved.cpuMilli}`,
        `${i.reserved.memoryMb}/${i.capacity.memoryMb - i.reserved.memoryMb}`,
        i.used ? `${i.used.cpuMilli}m ${i.used.memoryMb}MB${i.stale ? ' (stale)' : ''}` : '-',
        ...(cloudIds ? [i.cloudId ? `${i.cloudId}${i.cloudState ? ` (${i.cloudState})` : ''}` : '-'] : []), // prettier-ignore
        ...(costs ? [i.cost ? `${i.cost.total.toFixed(2)} ${i.cost.currency ?? ''}`.trim() : '-'] : []), // prettier-ignore
      ]),
    );
  }
}

export async function infoAction(
  { config, output }: CommandContext,
  options: InfoOptions,
): Promise<void> {
  if (!options.service && !options.all)
    throw usageError('say which container: -s NAME, or -a for all');
  const { manager } = managerFor(config);
  const services = options.service
    ? [await findContainer(manager, checkServiceName(options.service))]
    : await manager.listServices();
  const [tasks, nodes, measured] = await Promise.all([
    manager.listTasks(),
    manager.listNodes(),
    latestMeasurements(config, output),
  ]);
  // Where each one answers, as the catalog (and the manager's /v1/ API) tells it.
  const catalog = new Map(catalogOf(nodes, services, tasks).services.map((s) => [s.name, s]));
  const viewed = await askProxies(
    services.map((s) => containerInfo(s, tasks, nodes, options.showEnv ?? false)),
    nodes,
  );
  const infos = await Promise.all(
    services.map(async (s, index) => {
      const instances = catalog.get(s.name)?.instances ?? [];
      return {
        ...viewed[index]!,
        usage: serviceUsage(measured.containers, s.name),
        catalog: { tags: catalog.get(s.name)?.tags ?? [], instances },
        // What the proxy sends the domain's requests to, each asked as the proxy would.
        upstream: s.labels[CONTAINER_LABEL.domain]
          ? await Promise.all(
              instances
                .filter((i) => i.passing && i.port > 0)
                .map(async (i) => ({
                  address: `${i.address}:${i.port}`,
                  failing: await httpFailure(i.address, i.port, {
                    host: s.labels[CONTAINER_LABEL.domain],
                    timeoutMs: CHECK_TIMEOUT_MS,
                  }),
                })),
            )
          : undefined,
      };
    }),
  );
  if (options.json) return output.json(options.service ? infos[0] : infos);
  infos.forEach((info, index) => {
    if (index > 0) output.line('');
    printInfo(output, info);
  });
}

/**
 * What the monitor measured last, from the store; nothing when it has never run. The
 * engine stays the authority on state: a store that cannot be read costs the figures
 * and a warning, never the listing.
 */
async function latestMeasurements(config: MicadoConfig, output: Output) {
  const none = {
    containers: [] as ContainerRecord[],
    instances: [] as InstanceRecord[],
    reserved: new Map<string, Amount>(),
  };
  let store: Store | undefined;
  try {
    store = await openExistingStore(config);
    if (!store) return none;
    const [containers, instances] = await Promise.all([store.containers(), store.instances()]);
    return {
      containers,
      instances,
      reserved: new Map(containers.map((c) => [c.service, c.reserved])),
    };
  } catch (err) {
    output.warn(`usage figures left out: ${messageOf(err)}`);
    return none;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

function printInfo(
  output: Output,
  info: ContainerInfo & {
    usage: Usage | undefined;
    catalog: Pick<CatalogService, 'tags' | 'instances'>;
    upstream: { address: string; failing: string | undefined }[] | undefined;
  },
): void {
  const { spec } = info;
  const reason = info.reason && info.state !== 'running' ? ` (${info.reason})` : '';
  output.line(
    `${info.name}: ${info.state}${reason}, ${info.replicas.running}/${info.replicas.desired} running`,
  );
  output.line(`  origin       ${info.origin}${info.client ? `, client ${info.client}` : ''}`);
  output.line(`  image        ${spec.image}`);
  const command = [...spec.command, ...spec.args];
  if (command.length > 0) output.line(`  command      ${command.join(' ')}`);
  const reserves = Object.entries(spec.reservations).map(([k, v]) => `${k}=${v}`);
  output.line(`  reserves     ${reserves.join(' ') || '-'}`);
  output.line(`  placement    ${spec.constraints.join(', ') || 'any worker'}`);
  output.line(`  ports        ${info.ports.join(', ') || '-'}`);
  output.line(`  domain       ${info.domain ? `${info.domain}${info.path ?? ''} (${info.proxied})` : '-'}`); // prettier-ignore
  output.line(`  nodes        ${info.nodes.join(', ') || '-'}`);
  if (info.upstream) {
    const upstream = info.upstream.map((u) => `${u.address}${u.failing ? ` (failing its check: ${u.failing})` : ''}`); // prettier-ignore
    output.line(`  upstream     ${upstream.join(', ') || 'none: the proxy answers 503'}`);
  }
  const endpoints = info.catalog.instances.map(
    (i) => `${i.address}:${i.port} on ${i.node} (${i.passing ? 'passing' : 'critical'})`,
  );
  output.line(`  endpoints    ${endpoints.join(', ') || '-'}`);
  output.line(`  tags         ${info.catalog.tags.join(' ')}`);
  output.line(`  usage        ${usageLine(info)}`);
  if (spec.env.length > 0) output.line(`  environment  ${spec.env.join(' ')}`);
  output.line('  tasks (newest first)');
  for (const t of info.tasks) {
    const error = t.error ? `  ${t.error}` : '';
    output.line(
      `    ${t.id}  ${t.state.padEnd(9)} desired ${t.desired.padEnd(8)} ${t.node ?? '-'}  ${t.since}${error}`,
    );
  }
}

function usageLine(info: ContainerInfo & { usage: Usage | undefined }): string {
  const { usage } = info;
  if (!usage) return 'not measured yet (micado monitor --once measures now)';
  const { cpuMilli: cpu, memoryMb: memory } = amountOf(info.spec.reservations);
  const cpuText =
    usage.cpuMilli === undefined ? 'cpu -' : `cpu ${usage.cpuMilli}m of ${cpu * usage.replicas}m`;
  const at = new Date(usage.measuredAt).toISOString().slice(0, 19).replace('T', ' ');
  return `${cpuText}, memory ${usage.memoryMb} of ${memory * usage.replicas} MB reserved (${usage.replicas} replica${usage.replicas === 1 ? '' : 's'}, measured ${at} UTC)`;
}

export async function logsAction({ config }: CommandContext, options: LogsOptions): Promise<void> {
  const name = checkServiceName(options.name);
  if (options.tail !== undefined && !/^\d+$/.test(options.tail)) {
    throw usageError(`invalid --tail '${options.tail}': give a number of lines`);
  }
  const { manager } = managerFor(config);
  const service = await findContainer(manager, name);
  const logs = await manager.serviceLogs(service.id, {
    follow: options.follow ?? false,
    tail: options.tail === undefined ? undefined : Number(options.tail),
    timestamps: options.timestamps ?? false,
  });
  // A follow ends cleanly on Ctrl-C, and when the container is removed: the engine
  // itself keeps a removed service's stream open, so micado watches for the removal.
  const stop = () => logs.destroy();
  const watch = new AbortController();
  if (options.follow) {
    void (async () => {
      for await (const event of manager.events(
        { type: ['service'], event: ['remove'] },
        watch.signal,
      )) {
        if (event.id === service.id) return stop();
      }
    })().catch(stop);
  }
  process.once('SIGINT', stop);
  try {
    for await (const chunk of logs) process.stdout.write(chunk);
  } catch (err) {
    if (!logs.destroyed) throw err;
  } finally {
    process.removeListener('SIGINT', stop);
    watch.abort();
  }
}
