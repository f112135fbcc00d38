/**
 * Translation between the Engine API's JSON and micado's types. Pure, so the shapes
 * are unit-tested without an engine.
 */
import type {
  PublishedPort,
  Resources,
  ServiceSpec,
  SwarmNode,
  SwarmService,
  SwarmTask,
} from './swarm-client.js';
import { CPU, MEMORY } from './capacity.js';

interface GenericResource {
  DiscreteResourceSpec?: { Kind: string; Value: number };
  NamedResourceSpec?: { Kind: string; Value: string };
}

/** Sum generic resources by kind (named ones count one each). */
export function resourcesOf(list: GenericResource[] | undefined | null): Resources {
  const out: Resources = {};
  for (const r of list ?? []) {
    if (r.DiscreteResourceSpec) {
      const { Kind, Value } = r.DiscreteResourceSpec;
      out[Kind] = (out[Kind] ?? 0) + Value;
    } else if (r.NamedResourceSpec) {
      const { Kind } = r.NamedResourceSpec;
      out[Kind] = (out[Kind] ?? 0) + 1;
    }
  }
  return out;
}

export function genericResources(resources: Resources): GenericResource[] {
  return Object.entries(resources)
    .filter(([, value]) => value > 0)
    .map(([Kind, Value]) => ({ DiscreteResourceSpec: { Kind, Value } }));
}

/**
 * What a task reserves, in micado's units: its generic resources (what `micado launch`
 * sets), and its native reservations (`docker service create --reserve-cpu/--reserve-memory`,
 * compose's `deploy.resources.reservations`) as CPU millicores and MB; for each, the
 * larger of the two. Every part of micado then counts a stack's tasks as it counts its own.
 */
export function reservationsOf(
  reservations: { GenericResources?: GenericResource[] | null; NanoCPUs?: number; MemoryBytes?: number } | undefined, // prettier-ignore
): Resources {
  const out = resourcesOf(reservations?.GenericResources);
  const cpuMilli = Math.ceil((reservations?.NanoCPUs ?? 0) / 1e6);
  const memoryMb = Math.ceil((reservations?.MemoryBytes ?? 0) / 2 ** 20);
  if (cpuMilli > (out[CPU] ?? 0)) out[CPU] = cpuMilli;
  if (memoryMb > (out[MEMORY] ?? 0)) out[MEMORY] = memoryMb;
  return out;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- Engine API JSON is untyped at this edge */
export function toNode(raw: any): SwarmNode {
  return {
    id: raw.ID,
    version: raw.Version?.Index ?? 0,
    hostname: raw.Description?.Hostname ?? '',
    role: raw.Spec?.Role ?? 'worker',
    state: raw.Status?.State ?? 'unknown',
    availability: raw.Spec?.Availability ?? 'active',
    address: raw.Status?.Addr ?? '',
    engineLabels: raw.Description?.Engine?.Labels ?? {},
    labels: raw.Spec?.Labels ?? {},
    capacity: resourcesOf(raw.Description?.Resources?.GenericResources),
  };
}

export function toService(raw: any): SwarmService {
  const task = raw.Spec?.TaskTemplate ?? {};
  return {
    id: raw.ID,
    version: raw.Version?.Index ?? 0,
    name: raw.Spec?.Name ?? '',
    image: task.ContainerSpec?.Image ?? '',
    replicas: raw.Spec?.Mode?.Replicated?.Replicas,
    labels: raw.Spec?.Labels ?? {},
    reservations: reservationsOf(task.Resources?.Reservations),
    constraints: task.Placement?.Constraints ?? [],
    ports: (raw.Spec?.EndpointSpec?.Ports ?? []).map(toPort),
    command: task.ContainerSpec?.Command ?? [],
    args: task.ContainerSpec?.Args ?? [],
    env: task.ContainerSpec?.Env ?? [],
    createdAt: raw.CreatedAt ?? '',
    updatedAt: raw.UpdatedAt ?? '',
  };
}

export function toTask(raw: any): SwarmTask {
  return {
    id: raw.ID,
    serviceId: raw.ServiceID,
    nodeId: raw.NodeID || undefined,
    slot: raw.Slot,
    desiredState: raw.DesiredState ?? '',
    state: raw.Status?.State ?? 'unknown',
    message: raw.Status?.Message ?? '',
    error: raw.Status?.Err || undefined,
    containerId: raw.Status?.ContainerStatus?.ContainerID || undefined,
    reservations: reservationsOf(raw.Spec?.Resources?.Reservations),
    ports: (raw.Status?.PortStatus?.Ports ?? []).map(toPort),
    updatedAt: raw.UpdatedAt ?? '',
  };
}

function toPort(p: any): PublishedPort {
  return {
    target: p.TargetPort,
    published: p.PublishedPort ?? 0,
    protocol: p.Protocol ?? 'tcp',
    mode: p.PublishMode ?? 'ingress',
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The Engine API body that creates `spec`. */
export function serviceBody(spec: ServiceSpec): Record<string, unknown> {
  const containerSpec: Record<string, unknown> = { Image: spec.image };
  if (spec.command) containerSpec.Command = spec.command;
  if (spec.args) containerSpec.Args = spec.args;
  if (spec.env) containerSpec.Env = spec.env;
  if (spec.capabilityDrop) containerSpec.CapabilityDrop = spec.capabilityDrop;
  const limits = spec.limits ?? {};
  const body: Record<string, unknown> = {
    Name: spec.name,
    Labels: spec.labels ?? {},
    TaskTemplate: {
      ContainerSpec: containerSpec,
      Resources: {
        Reservations: { GenericResources: genericResources(spec.reservations ?? {}) },
        Limits: {
          ...(limits.memoryBytes ? { MemoryBytes: limits.memoryBytes } : {}),
          ...(limits.nanoCpus ? { NanoCPUs: limits.nanoCpus } : {}),
          ...(limits.pids ? { Pids: limits.pids } : {}),
        },
      },
      Placement: { Constraints: spec.constraints ?? [] },
      ...(spec.networks ? { Networks: spec.networks.map((Target) => ({ Target })) } : {}),
      ...(spec.logging ? { LogDriver: { Name: spec.logging.driver, Options: spec.logging.options } } : {}), // prettier-ignore
    },
    Mode: { Replicated: { Replicas: spec.replicas ?? 1 } },
  };
  const endpoint: Record<string, unknown> = {};
  // On an overlay, a service's name resolves to its tasks' addresses (DNS round robin):
  // a virtual IP would need IPVS, which a node's kernel may lack, and micado publishes
  // in host mode, which needs no mesh.
  if (spec.networks && spec.networks.length > 0) endpoint.Mode = 'dnsrr';
  if (spec.ports && spec.ports.length > 0) {
    endpoint.Ports = spec.ports.map((p) => ({
      TargetPort: p.target,
      // Absent, not 0: the engine then chooses a port per task.
      ...(p.published > 0 ? { PublishedPort: p.published } : {}),
      Protocol: p.protocol ?? 'tcp',
      PublishMode: p.mode ?? 'ingress',
    }));
  }
  if (Object.keys(endpoint).length > 0) body.EndpointSpec = endpoint;
  return body;
}
