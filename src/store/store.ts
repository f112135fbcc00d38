/**
 * Store: what the manager knows of the cluster between runs. The latest view of
 * instances and containers (replaced by each monitor refresh), per-image scaling
 * policies, clients and their limits, metric history, the events log and the
 * provisioning ledger.
 *
 * Times are epoch milliseconds. Every method is async so the MongoDB implementation
 * and the embedded SQLite one share this interface and one contract test suite.
 */
import type { Amount } from '../swarm/index.js';
import type { ClientLimits } from '../config/config.js';

/** CPU in millicores, memory in MB: the units of the nodes' generic resources. */
export type { Amount, ClientLimits };

export interface InstanceRecord {
  /** The instance id the driver gave (a node label), or the node's hostname. */
  name: string;
  hostname: string;
  address: string | undefined;
  cloud: string | undefined;
  pool: string | undefined;
  flavour: string | undefined;
  /** What the node advertises. */
  capacity: Amount;
  /** What its tasks reserve: what Swarm schedules against. */
  reserved: Amount;
  /** What its containers were measured using. */
  used: Amount;
  /** capacity − reserved: what Swarm can still place there. */
  free: Amount;
  /** The swarm node's state (ready, down, …) and availability (active, drain). */
  state: string;
  availability: string;
  /** The node did not answer the last refresh: its figures are from lastSeen. */
  stale: boolean;
  lastSeen: number;
}

export interface ContainerRecord {
  /** The engine's container id. */
  id: string;
  /** The engine's container name, e.g. container-web.1.x7… */
  name: string;
  /** The micado container (Swarm service) it is a replica of. */
  service: string;
  image: string;
  /** The instance it runs on. */
  node: string;
  address: string | undefined;
  /** Measured CPU rate since the previous refresh (undefined on the first). */
  cpuMilli: number | undefined;
  memoryMb: number;
  /** What its service reserves per replica. */
  reserved: Amount;
  state: string;
  /** The engine's cumulative CPU time, to measure the rate at the next refresh. */
  cpuTotalNs: number;
  lastSeen: number;
}

/** Per image (MiCADO's "imagecontainer"): when its containers' replicas move. */
export interface ImagePolicy {
  image: string;
  /** Usage, in % of what a replica reserves, above which a replica is added. */
  cpuHighPercent: number;
  memoryHighPercent: number;
  /** Usage below which a replica is taken away. */
  cpuLowPercent: number;
  memoryLowPercent: number;
  minReplicas: number;
  maxReplicas: number;
}

/** A client, as the original's `clients` collection kept it, with its limits. */
export interface ClientRecord {
  name: string;
  domain: string | undefined;
  /** Free text, as the original's membership. */
  membership: string | undefined;
  limits: ClientLimits;
  createdAt: number;
  updatedAt: number;
}

export interface MetricSample {
  at: number;
  kind: 'node' | 'container';
  /** Instance name, or container (service) name. */
  subject: string;
  cpuMilli: number | undefined;
  memoryMb: number;
  /** A container's: who it is for, its replicas measured, and what they reserve in all. */
  client?: string;
  replicas?: number;
  reserved?: Amount;
  /** A node's: its pool. */
  pool?: string;
}

/**
 * Usage added up per hour for a client or a pool: what reports read, so a report over
 * months reads a row per owner and hour, not every sample. Figures are sums of
 * milliseconds times the sample's own unit (replicas, CPU milli, MB), so rows add up
 * exactly and are turned into hours only when reported.
 */
export interface UsageFigures {
  containerMs: number;
  cpuReservedMilliMs: number;
  cpuUsedMilliMs: number;
  memoryReservedMbMs: number;
  memoryUsedMbMs: number;
  /** A pool's: node time. */
  nodeMs: number;
  /** A client's: nodes the autoscaler started for its containers. */
  nodesStarted: number;
}

export interface UsageRow extends UsageFigures {
  /** The start of the hour (UTC) it falls in. */
  hour: number;
  kind: 'client' | 'pool';
  name: string;
}

/** One owner's usage summed over a window of hours. */
export type UsageTotal = Omit<UsageRow, 'hour'>;

export interface EventRecord {
  at: number;
  /** Who acted: cli, manager, monitor. */
  actor: string;
  /** What happened: launch, quit, remove, scale-up, scale-down, replicas, failure, … */
  action: string;
  /** What it happened to: a container, an instance, a pool. */
  subject: string;
  message: string;
}

/**
 * intended (written before the driver call), requested (the machine exists), joined;
 * or failed, abandoned. A node started to replace others is `replacing` once joined,
 * until the nodes it replaces are handed over to be given back (consolidation).
 */
export type IntentState =
  'intended' | 'requested' | 'replacing' | 'joined' | 'failed' | 'abandoned';

/** What a restarted manager must finish. */
export const OPEN_INTENT_STATES: IntentState[] = ['intended', 'requested', 'replacing'];

/**
 * One node the autoscaler means to start. Written before the driver call and completed
 * after it, so a manager that dies at any step finds what it was doing.
 */
export interface ProvisioningIntent {
  id: string;
  pool: string;
  driver: string;
  cloud: string | undefined;
  flavour: string;
  /** The instance name asked of the driver (chosen before the call, so never twice). */
  instance: string;
  state: IntentState;
  createdAt: number;
  updatedAt: number;
  error: string | undefined;
  /** The instances this node replaces: given back once it is Ready (consolidation). */
  replaces?: string[];
}

/** One monitor refresh, written at once. */
export interface Refresh {
  at: number;
  instances: InstanceRecord[];
  containers: ContainerRecord[];
  samples: MetricSample[];
  /** Usage the monitor measured since its refresh before, added to the hours' rows. */
  usage?: UsageRow[];
  /** Nodes that did not answer: their containers' rows are kept as they were. */
  staleInstances: string[];
}

export interface EventQuery {
  since?: number;
  limit?: number;
}

export interface Retention {
  /** Metric samples older than this are dropped. */
  historyMs: number;
  /** Events older than this are dropped. */
  eventsMs: number;
  /** Hourly usage rows older than this are dropped. */
  usageMs: number;
}

/** A task slot (SERVICE.SLOT) consolidation moved, and when. */
export interface TaskMove {
  slot: string;
  at: number;
}

export interface Store {
  /** Which backend, and where, without credentials: for messages. */
  readonly description: string;

  /** Replace the current view with one refresh, append its samples, drop expired ones. */
  writeRefresh(refresh: Refresh): Promise<void>;
  /** One instance row, on its own (row-by-row writes; refreshes use writeRefresh). */
  putInstance(instance: InstanceRecord): Promise<void>;
  putContainer(container: ContainerRecord): Promise<void>;
  instances(): Promise<InstanceRecord[]>;
  containers(): Promise<ContainerRecord[]>;

  putClient(client: ClientRecord): Promise<void>;
  removeClient(name: string): Promise<boolean>;
  /** Clients by name. */
  clients(): Promise<ClientRecord[]>;
  /** One client's record (a launch reads its own, not every client's). */
  client(name: string): Promise<ClientRecord | undefined>;

  /**
   * The client that owns `domain`, which `client` takes if no one does, at once (two
   * claims at the same moment: one takes it, the other hears the owner). `claimed`
   * says whether this call took it.
   */
  claimDomain(domain: string, client: string): Promise<{ owner: string; claimed: boolean }>;
  /** Give `domain` to `client` (the operator's hand-over), or to no one (undefined). */
  setDomainOwner(domain: string, client: string | undefined): Promise<void>;
  /** Every domain owned, by domain. */
  domainOwners(): Promise<{ domain: string; client: string }[]>;

  putImagePolicy(policy: ImagePolicy): Promise<void>;
  removeImagePolicy(image: string): Promise<boolean>;
  imagePolicies(): Promise<ImagePolicy[]>;

  /** Samples of one subject (or all), oldest first. */
  history(query: {
    kind?: MetricSample['kind'];
    subject?: string;
    since?: number;
  }): Promise<MetricSample[]>;
  /** Drop samples, events (and moves) and usage older than the retention, as of `now`. */
  prune(now: number): Promise<void>;

  /** Add each row's figures to its hour's (made if absent). */
  addUsage(rows: UsageRow[]): Promise<void>;
  /** Each owner's rows summed over the hours that start in [since, until). */
  usage(query: { since: number; until: number }): Promise<UsageTotal[]>;

  recordEvent(event: EventRecord): Promise<void>;
  /** Events oldest first; with a limit, the newest `limit` of them. */
  events(query?: EventQuery): Promise<EventRecord[]>;

  /** Record an intent; fails if its id is taken. */
  addIntent(intent: ProvisioningIntent): Promise<void>;
  updateIntent(
    id: string,
    change: { state: IntentState; updatedAt: number; error?: string },
  ): Promise<void>;
  /** Intents still intended, requested or replacing: what a restarted manager must finish. */
  openIntents(): Promise<ProvisioningIntent[]>;
  intents(query?: { since?: number }): Promise<ProvisioningIntent[]>;

  /**
   * Task slots consolidation moved, at `at` (a slot moved again keeps its latest move):
   * a restarted manager moves none of them again within `minTaskStayHours`.
   */
  recordMoves(slots: string[], at: number): Promise<void>;
  /** The slots last moved at or after `since`, with when. */
  movesSince(since: number): Promise<TaskMove[]>;

  close(): Promise<void>;
}

export const DEFAULT_RETENTION: Retention = {
  historyMs: 7 * 24 * 3600_000,
  eventsMs: 30 * 24 * 3600_000,
  usageMs: 400 * 24 * 3600_000,
};
