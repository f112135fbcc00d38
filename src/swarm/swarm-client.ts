/**
 * SwarmClient: everything micado needs from a Docker engine, typed. The rest of the
 * code talks to engines only through this interface; dockerode stays behind it.
 */
import type { Readable } from 'node:stream';

/** Generic resources by kind, e.g. { 'micado.mem_mb': 512, 'micado.cpu_milli': 1000 }. */
export type Resources = Record<string, number>;

export interface EngineInfo {
  id: string;
  hostname: string;
  serverVersion: string;
  swarm: { nodeId: string; state: string; isManager: boolean };
  labels: string[];
}

export interface SwarmNode {
  id: string;
  version: number;
  hostname: string;
  role: 'manager' | 'worker';
  /** ready, down, unknown, disconnected */
  state: string;
  availability: 'active' | 'pause' | 'drain';
  address: string;
  /** Labels the node's own dockerd announces (--label). */
  engineLabels: Record<string, string>;
  /** Labels the manager set on the node. */
  labels: Record<string, string>;
  /** Generic resources the node advertises. */
  capacity: Resources;
}

export interface ServiceSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: string[];
  labels?: Record<string, string>;
  replicas?: number;
  /** Generic resources every task reserves. */
  reservations?: Resources;
  constraints?: string[];
  ports?: PublishedPort[];
  /** What the kernel holds each task to (cgroup limits). */
  limits?: { memoryBytes?: number; nanoCpus?: number; pids?: number };
  /** Capabilities each task's container drops. */
  capabilityDrop?: string[];
  /** Where a task's output goes, and how much of it is kept. */
  logging?: { driver: string; options: Record<string, string> };
  /** Overlay networks (names) each task joins; its service name resolves on them. */
  networks?: string[];
}

/** What each step of a build (a RUN's container) is held to. */
export interface BuildStepLimits {
  /** No network at all: a step cannot fetch what the build context does not hold. */
  network: 'none';
  memoryBytes: number;
  cpus: number;
}

export interface PublishedPort {
  target: number;
  /** 0: the engine chooses a free port on the node, one per task (host mode). */
  published: number;
  protocol?: 'tcp' | 'udp';
  /** host: on the node the task runs on; ingress: on every node through the mesh. */
  mode?: 'host' | 'ingress';
}

export interface SwarmService {
  id: string;
  version: number;
  name: string;
  image: string;
  replicas: number | undefined;
  labels: Record<string, string>;
  reservations: Resources;
  constraints: string[];
  ports: PublishedPort[];
  command: string[];
  args: string[];
  env: string[];
  createdAt: string;
  updatedAt: string;
}

export interface ServiceUpdate {
  replicas?: number;
  image?: string;
  labels?: Record<string, string>;
  /** Bump ForceUpdate: makes Swarm reconsider the service's tasks. */
  force?: boolean;
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  nodeId: string | undefined;
  slot: number | undefined;
  desiredState: string;
  /** new, pending, assigned, preparing, starting, running, complete, failed, rejected, … */
  state: string;
  message: string;
  error: string | undefined;
  containerId: string | undefined;
  reservations: Resources;
  /** The ports the task's node publishes for it, the engine's choice where the spec left it. */
  ports: PublishedPort[];
  updatedAt: string;
}

/** A container as one engine runs it. */
export interface EngineContainer {
  id: string;
  /** Without the leading slash. */
  name: string;
  image: string;
  /** running, exited, … */
  state: string;
  /** Epoch ms. */
  createdAt: number;
  labels: Record<string, string>;
  /** Its addresses on the networks it is attached to. */
  addresses: string[];
}

/** One reading of a container's counters (the engine's one-shot stats). */
export interface ContainerStats {
  /** CPU time used since the container started. */
  cpuTotalNs: number;
  /** Memory in use, page cache that can be reclaimed left out (as `docker stats` counts). */
  memoryBytes: number;
  /** When the engine read the counters, epoch ms. */
  readAt: number;
}

export interface EngineEvent {
  type: string;
  action: string;
  id: string;
  attributes: Record<string, string>;
  timeNano: number;
}

export interface EventFilters {
  type?: string[];
  event?: string[];
  label?: string[];
}

export interface ListFilters {
  [key: string]: string[];
}

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  timestamps?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface AttachedIo {
  stdin?: Readable;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  tty: boolean;
  size?: { rows: number; columns: number };
}

export interface PathStat {
  name: string;
  size: number;
  isDirectory: boolean;
}

export interface BuildProgress {
  stream?: string;
  status?: string;
}

export interface SwarmClient {
  /** Resolve when the engine answers. */
  ping(): Promise<void>;
  /** The engine's identity and swarm membership. */
  info(): Promise<EngineInfo>;

  /** Make this engine the first manager of a new swarm; returns its node id. */
  initSwarm(advertiseAddr: string): Promise<string>;
  /** The worker and manager join tokens of the swarm this manager runs. */
  joinTokens(): Promise<{ worker: string; manager: string }>;
  /** Make a new worker join token; the old one joins no node any more. */
  rotateWorkerToken(): Promise<void>;
  /** Join this engine to a swarm as the token says. */
  joinSwarm(managerAddr: string, token: string, advertiseAddr: string): Promise<void>;
  /** Leave the swarm (force for the last manager). */
  leaveSwarm(force: boolean): Promise<void>;

  listNodes(filters?: ListFilters): Promise<SwarmNode[]>;
  inspectNode(id: string): Promise<SwarmNode>;
  /** Set labels (merged into the node's) and/or availability. */
  updateNode(
    id: string,
    change: { labels?: Record<string, string>; availability?: SwarmNode['availability'] },
  ): Promise<void>;
  removeNode(id: string, force: boolean): Promise<void>;

  createService(spec: ServiceSpec): Promise<string>;
  inspectService(idOrName: string): Promise<SwarmService>;
  listServices(filters?: ListFilters): Promise<SwarmService[]>;
  updateService(idOrName: string, change: ServiceUpdate): Promise<void>;
  removeService(idOrName: string): Promise<void>;

  /** The swarm's overlay network `name`, made with `labels` when there is none yet. */
  ensureOverlayNetwork(name: string, labels: Record<string, string>): Promise<void>;
  /** Remove network `name`; false when a service or task still uses it. Gone already: true. */
  removeNetwork(name: string): Promise<boolean>;

  listTasks(filters?: ListFilters): Promise<SwarmTask[]>;

  /** Create an image from a root filesystem tarball. */
  importImage(rootfs: Readable, repository: string, tag: string): Promise<void>;
  /** Build from a tarred context; progress lines go to onProgress. */
  buildImage(
    context: Readable,
    tag: string,
    onProgress?: (p: BuildProgress) => void,
    steps?: BuildStepLimits,
  ): Promise<void>;
  /** An image as a `docker save` tarball. */
  saveImage(name: string): Promise<Readable>;
  /** Load images from a `docker save` tarball. */
  loadImage(tarball: Readable): Promise<void>;
  tagImage(source: string, repository: string, tag: string): Promise<void>;
  pushImage(name: string, onProgress?: (p: BuildProgress) => void): Promise<void>;
  /** Pull an image (registry/repository:tag, or @digest) into this engine. */
  pullImage(name: string): Promise<void>;
  hasImage(name: string): Promise<boolean>;
  /** Remove an image from this engine, with its layers no other image holds. */
  removeImage(name: string): Promise<void>;

  /** Containers of this engine (running ones, unless filters say otherwise). */
  listContainers(filters?: ListFilters): Promise<EngineContainer[]>;
  /** One reading of a running container's counters, without waiting for a second. */
  containerStats(id: string): Promise<ContainerStats>;

  /** A service's or container's logs, demultiplexed into one text stream. */
  serviceLogs(idOrName: string, options: LogOptions): Promise<Readable>;
  containerLogs(id: string, options: LogOptions): Promise<Readable>;
  /** Run argv in a running container and collect its output and exit code. */
  exec(containerId: string, argv: string[]): Promise<ExecResult>;

  /**
   * Run argv in a running container with its input and output attached to ours; with
   * `tty`, as on a terminal of `size`. Resolves with the command's exit code.
   */
  execAttached(containerId: string, argv: string[], io: AttachedIo): Promise<number>;
  /** Unpack a tarball into a directory of the container. */
  putArchive(containerId: string, directory: string, tar: Readable): Promise<void>;
  /** A path of the container as a tarball (its last component at the root). */
  getArchive(containerId: string, path: string): Promise<Readable>;
  /** What a path of the container is, or undefined when it does not exist. */
  statPath(containerId: string, path: string): Promise<PathStat | undefined>;

  /** Engine events as they happen, until `signal` aborts. */
  events(filters: EventFilters, signal: AbortSignal): AsyncIterable<EngineEvent>;
}

/** What the manager daemon needs of the swarm to run nodes: the orchestration part. */
export type OrchestratorSwarm = Pick<
  SwarmClient,
  | 'joinTokens'
  | 'rotateWorkerToken'
  | 'listNodes'
  | 'updateNode'
  | 'removeNode'
  | 'listServices'
  | 'updateService'
  | 'removeService'
  | 'listTasks'
  | 'events'
>;
