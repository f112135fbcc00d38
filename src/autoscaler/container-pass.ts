/**
 * The container pass of each cycle, beside the node loop: containers past their time
 * limit are removed, and replica policies move replicas, within each client's limits.
 * `planContainers` decides, pure and table-tested; `ContainerPass` does what it says
 * (or, under dry-run, says it once).
 */
import { clientUsage, quotaProblem, type ClientUsage } from '../clients/client-quota.js';
import { expired, expiresAt } from '../clients/time-limits.js';
import { serviceUsage } from '../monitor/usage.js';
import type { MicadoConfig } from '../config/config.js';
import type {
  ClientLimits,
  ClientRecord,
  ContainerRecord,
  ImagePolicy,
  Store,
} from '../store/store.js';
import { amountOf, type OrchestratorSwarm, type SwarmService } from '../swarm/index.js';
import { CONTAINER_LABEL } from '../swarm/labels.js';
import { planReplicas, policyFromLabels } from './replicas.js';
import { isContainer } from '../containers/container-view.js';
import type { ScalingLog } from './scaling-log.js';
import { SCALING_ACTION } from './scaling-progress.js';

export interface ContainerPlanInput {
  /** Every service in the swarm (micado's containers are those with its labels). */
  services: SwarmService[];
  imagePolicies: ImagePolicy[];
  /** The monitor's last figures per container. */
  usage: ContainerRecord[];
  clients: ClientRecord[];
  /** The limits of a client with no record. */
  defaultLimits: ClientLimits;
  /** When each container's replicas last changed. */
  lastChange: ReadonlyMap<string, number>;
  cooldownMs: number;
  now: number;
}

export interface ContainerPlan {
  expire: { service: SwarmService; message: string }[];
  replicas: { service: string; to: number; message: string }[];
  /** Replica changes a client's limits hold back. */
  held: { service: string; message: string }[];
}

export function planContainers(input: ContainerPlanInput): ContainerPlan {
  // Time limits are micado's launches'; replica policies any service's (a stack's labels).
  const mine = input.services.filter(isContainer);
  const expire = expired(mine, input.now).map((service) => ({
    service,
    message: `${service.name}: its time limit ran out at ${new Date(expiresAt(service)!).toISOString()}: removed`,
  }));
  const staying = input.services.filter((s) => !expire.some((e) => e.service === s));
  const withPolicy = staying.filter(
    (s) =>
      policyFromLabels(s.labels) ||
      input.imagePolicies.some((p) => p.image === s.labels[CONTAINER_LABEL.image]),
  );
  const changes = planReplicas({
    services: withPolicy.map((s) => ({
      name: s.name,
      image: s.labels[CONTAINER_LABEL.image] ?? s.image,
      replicas: s.replicas ?? 0,
      reserved: amountOf(s.reservations),
      policy: policyFromLabels(s.labels),
    })),
    imagePolicies: input.imagePolicies,
    usage: new Map(
      withPolicy.flatMap((s) => {
        const usage = serviceUsage(input.usage, s.name);
        return usage ? [[s.name, usage] as const] : [];
      }),
    ),
    lastChange: new Map(input.lastChange),
    cooldownMs: input.cooldownMs,
    now: input.now,
  });
  // What a client may use caps what its load asks: more replicas only within its
  // limits, counting the changes this plan allows before it.
  const limitsOf = new Map(input.clients.map((c) => [c.name, c.limits]));
  const used = new Map<string, ClientUsage>();
  const plan: ContainerPlan = { expire, replicas: [], held: [] };
  for (const change of changes) {
    const message = `${change.service}: ${change.from} → ${change.to} replicas (${change.why})`;
    if (change.to <= change.from) {
      plan.replicas.push({ service: change.service, to: change.to, message });
      continue;
    }
    const service = staying.find((s) => s.name === change.service)!;
    const client = service.labels[CONTAINER_LABEL.client] ?? '';
    const usage = used.get(client) ?? clientUsage(staying, client);
    const added = { containers: 0, replicas: change.to - change.from, each: amountOf(service.reservations) }; // prettier-ignore
    const problem = quotaProblem(client, limitsOf.get(client) ?? input.defaultLimits, usage, added); // prettier-ignore
    if (problem) {
      plan.held.push({ service: change.service, message: `held at ${change.from} replicas: ${problem}` }); // prettier-ignore
      continue;
    }
    used.set(client, {
      containers: usage.containers,
      replicas: usage.replicas + added.replicas,
      reserved: {
        cpuMilli: usage.reserved.cpuMilli + added.each.cpuMilli * added.replicas,
        memoryMb: usage.reserved.memoryMb + added.each.memoryMb * added.replicas,
      },
    });
    plan.replicas.push({ service: change.service, to: change.to, message });
  }
  return plan;
}

export interface ContainerPassDeps {
  manager: Pick<OrchestratorSwarm, 'removeService' | 'updateService'>;
  store: Pick<Store, 'imagePolicies' | 'containers' | 'clients'>;
  config: Pick<MicadoConfig, 'autoscaler' | 'clients'>;
}

export class ContainerPass {
  private readonly replicaChanges = new Map<string, number>();

  constructor(
    private readonly deps: ContainerPassDeps,
    private readonly scalingLog: ScalingLog,
    /** Counts the replica changes made. */
    private readonly metrics: { replicaChanges: number },
  ) {}

  async run(services: SwarmService[], now: number): Promise<void> {
    const { manager, store, config } = this.deps;
    const { scalingLog } = this;
    const settings = config.autoscaler;
    const [imagePolicies, usage, clients] = await Promise.all([
      store.imagePolicies(),
      store.containers(),
      store.clients(),
    ]);
    const plan = planContainers({
      services, imagePolicies, usage, clients, defaultLimits: config.clients.defaults,
      lastChange: this.replicaChanges, cooldownMs: settings.replicaCooldownMs, now,
    }); // prettier-ignore
    for (const { service, message } of plan.expire) {
      if (settings.dryRun) await scalingLog.dryRun(SCALING_ACTION.expired, service.name, message);
      else {
        await manager.removeService(service.id);
        await scalingLog.record(SCALING_ACTION.expired, service.name, message);
      }
    }
    for (const { service, message } of plan.held)
      scalingLog.once(SCALING_ACTION.held, service, message);
    for (const { service, to, message } of plan.replicas) {
      if (settings.dryRun) {
        await scalingLog.dryRun('replicas', service, message);
        continue;
      }
      await manager.updateService(service, { replicas: to });
      this.replicaChanges.set(service, now);
      this.metrics.replicaChanges++;
      await scalingLog.record(SCALING_ACTION.replicas, service, message);
    }
  }
}
