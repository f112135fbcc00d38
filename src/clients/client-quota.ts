/**
 * What a client uses (from its containers' Swarm services: the source of truth) and
 * whether a launch or a replica change would take it past a limit. Pure: one pass over
 * the services, so a check over 10,000 containers costs a few milliseconds.
 */
import { amountOf, type Amount, type SwarmService } from '../swarm/index.js';
import type { ClientLimits } from '../store/store.js';
import { CONTAINER_LABEL } from '../swarm/labels.js';

export interface ClientUsage {
  containers: number;
  replicas: number;
  reserved: Amount;
}

export function clientUsage(services: SwarmService[], client: string): ClientUsage {
  const usage: ClientUsage = { containers: 0, replicas: 0, reserved: { cpuMilli: 0, memoryMb: 0 } };
  for (const service of services) {
    if (service.labels[CONTAINER_LABEL.client] !== client) continue;
    const replicas = service.replicas ?? 0;
    const each = amountOf(service.reservations);
    usage.containers += 1;
    usage.replicas += replicas;
    usage.reserved.cpuMilli += each.cpuMilli * replicas;
    usage.reserved.memoryMb += each.memoryMb * replicas;
  }
  return usage;
}

/** What is asked: new containers (a launch: 1), added replicas, and what each reserves. */
export interface QuotaRequest {
  containers: number;
  replicas: number;
  each: Amount;
  pool?: string;
}

/** The first limit the request would pass, in one line; undefined when it fits. */
export function quotaProblem(
  client: string,
  limits: ClientLimits,
  usage: ClientUsage,
  request: QuotaRequest,
): string | undefined {
  const over = (what: string, limit: number | undefined, used: number, asked: number, unit = '') =>
    limit !== undefined && used + asked > limit
      ? `client ${client} may have ${limit}${unit} ${what}: it has ${used}${unit}, and this asks ${asked}${unit} more`
      : undefined;
  return (
    over('containers', limits.containers, usage.containers, request.containers) ??
    over('replicas', limits.replicas, usage.replicas, request.replicas) ??
    over('of CPU reserved', limits.cpuMilli, usage.reserved.cpuMilli, request.each.cpuMilli * request.replicas, 'm') ??
    over('of memory reserved', limits.memoryMb, usage.reserved.memoryMb, request.each.memoryMb * request.replicas, ' MB') ??
    (limits.pools && request.containers > 0 && (!request.pool || !limits.pools.includes(request.pool))
      ? `client ${client} may run only in pool${limits.pools.length === 1 ? '' : 's'} ${limits.pools.join(', ')}: launch with -l ${limits.pools[0]}`
      : undefined)
  ); // prettier-ignore
}
