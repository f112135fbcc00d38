/**
 * One refresh from what the manager and the nodes said: pure, so every case (first
 * reading, stale node, node down, container gone) is unit-tested without an engine.
 */
import { nodeStatus } from '../nodes/node-status.js';
import { amountOf, type SwarmNode, type SwarmService, type SwarmTask } from '../swarm/index.js';
import type {
  Amount,
  ContainerRecord,
  InstanceRecord,
  MetricSample,
  Refresh,
} from '../store/store.js';
import { SERVICE_NAME_LABEL, type ContainerReading, type NodeReading } from './node-readings.js';
import { CONTAINER_LABEL } from '../swarm/labels.js';

export interface RefreshInput {
  at: number;
  nodes: SwarmNode[];
  tasks: SwarmTask[];
  services: SwarmService[];
  /** Readings of the ready workers; a worker without one was not asked (not ready). */
  readings: NodeReading[];
  previous: { instances: InstanceRecord[]; containers: ContainerRecord[] };
}

export interface StaleNode {
  instance: string;
  reason: string;
}

const MB = 1024 * 1024;
const round = (value: number, places: number) => Number(value.toFixed(places));

export function buildRefresh(input: RefreshInput): { refresh: Refresh; stale: StaleNode[] } {
  const { at } = input;
  const services = new Map(input.services.map((s) => [s.name, s]));
  const readings = new Map(input.readings.map((r) => [r.node.id, r]));
  const previousInstances = new Map(input.previous.instances.map((i) => [i.name, i]));
  const previousContainers = new Map(input.previous.containers.map((c) => [c.id, c]));
  const instances: InstanceRecord[] = [];
  const containers: ContainerRecord[] = [];
  const samples: MetricSample[] = [];
  const stale: StaleNode[] = [];

  for (const node of input.nodes.filter((n) => n.role === 'worker')) {
    const status = nodeStatus(node, input.tasks);
    const name = status.instance ?? node.hostname;
    const previous = previousInstances.get(name);
    const reading = readings.get(node.id);
    const base = {
      name,
      hostname: node.hostname,
      address: status.address || undefined,
      cloud: status.cloud,
      pool: status.pool,
      flavour: status.flavour,
      capacity: status.capacity,
      reserved: status.reserved,
      free: {
        cpuMilli: status.capacity.cpuMilli - status.reserved.cpuMilli,
        memoryMb: status.capacity.memoryMb - status.reserved.memoryMb,
      },
      state: node.state,
      availability: node.availability,
    };
    if (reading && !reading.answered) {
      stale.push({ instance: name, reason: reading.reason });
      instances.push({
        ...base,
        used: previous?.used ?? { cpuMilli: 0, memoryMb: 0 },
        stale: true,
        lastSeen: previous?.lastSeen ?? 0,
      });
      continue;
    }
    const mine = reading?.answered
      ? reading.containers.map((r) =>
          containerRecord(r, name, services, previousContainers.get(r.container.id)),
        )
      : [];
    containers.push(...mine);
    const used = sum(mine);
    instances.push({
      ...base,
      used,
      stale: false,
      lastSeen: reading ? at : (previous?.lastSeen ?? 0),
    });
    if (reading) samples.push({ at, kind: 'node', subject: name, ...used, ...(status.pool ? { pool: status.pool } : {}) }); // prettier-ignore
  }

  const byService = new Map<string, ContainerRecord[]>();
  for (const c of containers) byService.set(c.service, [...(byService.get(c.service) ?? []), c]);
  for (const [service, replicas] of byService) {
    // Who it is for and what it reserves, as reports add them up.
    const spec = services.get(service);
    const each = amountOf(spec?.reservations ?? {});
    const client = spec?.labels[CONTAINER_LABEL.client];
    samples.push({
      at, kind: 'container', subject: service, ...sum(replicas), ...(client ? { client } : {}),
      replicas: replicas.length,
      reserved: { cpuMilli: each.cpuMilli * replicas.length, memoryMb: each.memoryMb * replicas.length },
    }); // prettier-ignore
  }
  return {
    refresh: {
      at,
      instances,
      containers,
      samples,
      staleInstances: stale.map((s) => s.instance),
    },
    stale,
  };
}

function containerRecord(
  { container, stats }: ContainerReading,
  node: string,
  services: Map<string, SwarmService>,
  previous: ContainerRecord | undefined,
): ContainerRecord {
  const serviceName = container.labels[SERVICE_NAME_LABEL] ?? '';
  const service = services.get(serviceName);
  // CPU is a rate: since the previous reading, or on the first one since the container
  // was created (its average so far).
  const since = previous ? previous.lastSeen : container.createdAt;
  const usedNs = stats.cpuTotalNs - (previous?.cpuTotalNs ?? 0);
  const elapsedMs = stats.readAt - since;
  const cpuMilli = elapsedMs > 0 && usedNs >= 0 ? round(usedNs / elapsedMs / 1000, 1) : undefined;
  return {
    id: container.id,
    name: container.name,
    service: serviceName,
    image: service?.labels[CONTAINER_LABEL.image] ?? container.image,
    node,
    address: container.addresses[0],
    cpuMilli,
    memoryMb: round(stats.memoryBytes / MB, 2),
    reserved: {
      ...amountOf(service?.reservations ?? {}),
    },
    state: container.state,
    cpuTotalNs: stats.cpuTotalNs,
    lastSeen: stats.readAt,
  };
}

/** Total use of some containers (one whose CPU rate is not known yet counts none). */
function sum(containers: ContainerRecord[]): Amount {
  let cpu = 0;
  let memory = 0;
  for (const c of containers) {
    cpu += c.cpuMilli ?? 0;
    memory += c.memoryMb;
  }
  return { cpuMilli: round(cpu, 1), memoryMb: round(memory, 2) };
}
