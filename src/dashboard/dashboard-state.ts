/**
 * What the dashboard shows, as one value the page renders whole: nodes (those coming
 * up and those draining included), containers, pools, and the scaling of the last
 * hours. Pure: built from a reading of the swarm, the store and the autoscaler, so
 * every shape is unit-tested without an engine. Nothing secret is in it: no
 * environment values, tokens or credentials (the page is read-only and may be shared).
 */
import type { MicadoConfig } from '../config/config.js';
import { containerView } from '../containers/container-view.js';
import { nodeStatus } from '../nodes/node-status.js';
import type {
  ContainerRecord,
  EventRecord,
  InstanceRecord,
  MetricSample,
  ProvisioningIntent,
} from '../store/store.js';
import {
  amountOf,
  sumOf,
  type Amount,
  type SwarmNode,
  type SwarmService,
  type SwarmTask,
} from '../swarm/index.js';
import type { PoolState } from '../autoscaler/pool-state.js';
import { SCALING_ACTION } from '../autoscaler/scaling-progress.js';
import { NODE_LABEL } from '../swarm/labels.js';

export type NodeCardState = 'coming up' | 'ready' | 'warm' | 'draining' | 'down' | string;

export interface NodeCard {
  /** The instance id, or the hostname of a node that has none (the manager). */
  name: string;
  hostname: string | undefined;
  role: string;
  pool: string | undefined;
  flavour: string | undefined;
  cloud: string | undefined;
  state: NodeCardState;
  /** The monitor could not reach it: its usage is from `lastSeen`. */
  stale: boolean;
  capacity: Amount;
  reserved: Amount;
  used: Amount | undefined;
}

export interface ContainerRow {
  name: string;
  /** micado, stack NAME, or service. */
  origin: string;
  client: string;
  image: string;
  domain: string | undefined;
  path: string | undefined;
  proxied: string | undefined;
  state: string;
  replicas: { desired: number; running: number };
  tasks: { node: string; state: string }[];
  /** What all its replicas reserve, and what they were measured using. */
  reserved: Amount;
  used: Amount | undefined;
}

export interface PoolRow {
  name: string;
  driver: string;
  flavour: string;
  min: number;
  max: number;
  nodes: number;
  failures: number;
  /** When its backoff ends (ms since the epoch); undefined when it is not backed off. */
  backoffUntil: number | undefined;
}

export interface DashboardState {
  cluster: string;
  at: number;
  nodes: NodeCard[];
  containers: ContainerRow[];
  pools: PoolRow[];
  /** Scaling events of the window, oldest first. */
  events: EventRecord[];
  /** [time, count] points: nodes measured, and tasks waiting for a place. */
  series: { nodes: [number, number][]; pending: [number, number][] };
}

export interface DashboardReading {
  config: Pick<MicadoConfig, 'cluster' | 'pools'>;
  now: number;
  nodes: SwarmNode[];
  services: SwarmService[];
  tasks: SwarmTask[];
  instances: InstanceRecord[];
  usage: ContainerRecord[];
  intents: ProvisioningIntent[];
  pools: ReadonlyMap<string, PoolState>;
  events: EventRecord[];
  samples: MetricSample[];
  /** [time, count] as the manager counted them: tasks waiting, and Ready workers. */
  pending: [number, number][];
  workers: [number, number][];
}

/** What the scaling timeline shows: the autoscaler's actions, and nodes and containers started or stopped by hand. */
export const SCALING_EVENTS = new Set<string>([
  ...Object.values(SCALING_ACTION), 'start', 'stop', 'launch', 'launch-failed', 'quit',
  'node-stale', 'node-answering',
]); // prettier-ignore

export function dashboardState(reading: DashboardReading): DashboardState {
  const instances = new Map(reading.instances.map((i) => [i.hostname, i]));
  const nodesById = new Map(reading.nodes.map((n) => [n.id, n]));
  const nodes: NodeCard[] = reading.nodes.map((node) => {
    const status = nodeStatus(node, reading.tasks);
    const record = instances.get(node.hostname);
    // The manager is kept drained (nothing runs on it): only a worker drains.
    const draining =
      status.role === 'worker' &&
      (node.availability === 'drain' || node.labels[NODE_LABEL.scalingDown] !== undefined);
    return {
      name: status.instance ?? node.hostname,
      hostname: node.hostname,
      role: status.role,
      pool: status.pool,
      flavour: status.flavour,
      cloud: status.cloud,
      state:
        node.state !== 'ready'
          ? node.state
          : draining
            ? 'draining'
            : node.availability === 'pause' && node.labels[NODE_LABEL.warm] === 'true'
              ? 'warm'
              : node.state,
      stale: record?.stale ?? false,
      capacity: status.capacity,
      reserved: status.reserved,
      used: record?.used,
    };
  });
  // Machines asked for whose node is not Ready yet.
  const joined = new Set(nodes.filter((n) => n.state !== 'down').map((n) => n.name));
  for (const intent of reading.intents) {
    if (intent.state !== 'intended' && intent.state !== 'requested') continue;
    if (joined.has(intent.instance)) continue;
    nodes.push({
      name: intent.instance, hostname: undefined, role: 'worker', pool: intent.pool,
      flavour: intent.flavour, cloud: intent.cloud, state: 'coming up', stale: false,
      capacity: { cpuMilli: 0, memoryMb: 0 }, reserved: { cpuMilli: 0, memoryMb: 0 }, used: undefined,
    }); // prettier-ignore
  }
  nodes.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));

  const usage = groupBy(reading.usage, (c) => c.service);
  const containers: ContainerRow[] = reading.services.map((service) => {
    const view = containerView(service, reading.tasks, nodesById);
    const mine = reading.tasks.filter(
      (t) => t.serviceId === service.id && t.desiredState === 'running',
    );
    const measured = usage.get(service.name) ?? [];
    return {
      name: view.name,
      origin: view.origin,
      client: view.client,
      image: view.image,
      domain: view.domain,
      path: view.path,
      proxied: view.proxied,
      state: view.state,
      replicas: view.replicas,
      tasks: mine.map((t) => ({
        node: nodesById.get(t.nodeId ?? '')?.hostname ?? '-',
        state: t.state,
      })),
      reserved: sumOf(mine.map((t) => amountOf(t.reservations))),
      used:
        measured.length === 0
          ? undefined
          : {
              cpuMilli: measured.reduce((sum, c) => sum + (c.cpuMilli ?? 0), 0),
              memoryMb: measured.reduce((sum, c) => sum + c.memoryMb, 0),
            },
    };
  });
  containers.sort((a, b) => a.name.localeCompare(b.name));

  const pools: PoolRow[] = Object.entries(reading.config.pools).map(([name, pool]) => {
    const state = reading.pools.get(name);
    return {
      name,
      driver: pool.driver,
      flavour: pool.flavour,
      min: pool.min,
      max: pool.max,
      nodes: nodes.filter((n) => n.pool === name && n.role === 'worker').length,
      failures: state?.failures ?? 0,
      backoffUntil: state && state.backoffUntil > reading.now ? state.backoffUntil : undefined,
    };
  });

  return {
    cluster: reading.config.cluster.name,
    at: reading.now,
    nodes,
    containers,
    pools,
    events: reading.events.filter((e) => SCALING_EVENTS.has(e.action)),
    series: {
      // The monitor's refreshes until the manager counted Ready workers itself.
      nodes: [
        ...nodesOverTime(reading.samples).filter(
          ([t]) => t < (reading.workers[0]?.[0] ?? Infinity),
        ),
        ...reading.workers,
      ],
      pending: reading.pending,
    },
  };
}

/** Nodes in each refresh of the monitor: the distinct nodes sampled at each time. */
function nodesOverTime(samples: MetricSample[]): [number, number][] {
  const at = new Map<number, number>();
  for (const s of samples) if (s.kind === 'node') at.set(s.at, (at.get(s.at) ?? 0) + 1);
  return [...at.entries()].sort((a, b) => a[0] - b[0]);
}

const ORDER: Record<string, number> = { manager: 0, proxy: 1, worker: 2 };
const order = (card: NodeCard) => ORDER[card.role] ?? 3;

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
