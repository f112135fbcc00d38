/**
 * What `micado launch` asks of Swarm: a service carrying micado's labels, reserving the
 * generic resources nodes advertise, placed by pool, publishing its port on its node.
 *
 * Ports, as the manual has them: `-p PORT` is the port of the instance the container
 * runs on (published there in host mode, to the same port in the container unless
 * `--container-port` says otherwise), with or without a domain; two replicas of it never
 * share a node. A container with a domain and no `-p` is reached through the proxy: its
 * container port (`--container-port`, else the image's first exposed TCP port) is
 * published on a node port the engine chooses per task, so its replicas may share a node.
 */
import { usageError } from '../errors.js';
import { DEFAULT_CONFIG, type MicadoConfig } from '../config/config.js';
import { resourcesOf, type ServiceSpec } from '../swarm/index.js';
import { isHostName, isRoutePath, routePath } from './route-address.js';
import { CONTAINER_LABEL, NODE_LABEL, nodeLabelIs } from '../swarm/labels.js';
import { clientNetwork } from './client-network.js';

export interface LaunchRequest {
  name: string;
  client: string;
  /** As given by the user, and as nodes pull it. */
  image: { given: string; name: string };
  location?: string;
  script?: string;
  arguments?: string[];
  domain?: string;
  /** When it expires (ms since the epoch); undefined: never. */
  expiresAt?: number;
  /** The path prefix of the domain this container serves (`--path`); all of it when absent. */
  path?: string;
  /** The node port it is published on (`-p`): fixed, one replica per node. */
  port?: number;
  /** The port it listens on inside (`--container-port`, or what the image exposes). */
  containerPort?: number;
  environment: string[];
  cpuMilli: number;
  memoryMb: number;
  /** May use more CPU than it reserves, when the node has it (`--cpu-burst`). */
  cpuBurst?: boolean;
  /** Joins its client's overlay network, where its containers resolve by name (`--private-network`). */
  privateNetwork?: boolean;
  replicas: number;
  /** What else the kernel holds it to (config `containers.*`; their defaults when absent). */
  limits?: Pick<MicadoConfig['containers'], 'pidsLimit' | 'logMaxSizeMb' | 'logMaxFiles'>;
}

/**
 * Capabilities no container keeps: NET_RAW would let one forge packets on its node's
 * network, and read its neighbours' traffic.
 */
export const DROPPED_CAPABILITIES = ['CAP_NET_RAW'];

const ENVIRONMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const LOCATION = /^[a-z][a-z0-9-]{0,31}$/;
/** Every problem of a launch's own options, before anything is asked of the engine. */
export function checkLaunchOptions(options: {
  environment: string[];
  port?: string;
  containerPort?: string;
  domain?: string;
  path?: string;
  location?: string;
  replicas?: string;
}): string | undefined {
  const bad = options.environment.find((e) => !ENVIRONMENT.test(e));
  if (bad !== undefined) return `invalid environment '${bad}': use KEY=VALUE`;
  if (options.port !== undefined && !isPort(options.port)) {
    return `invalid port '${options.port}': use a number from 1 to 65535`;
  }
  if (options.port !== undefined && NODE_PORTS.has(Number(options.port))) {
    return `port ${options.port} is taken on every node (${NODE_PORTS.get(Number(options.port))}): choose another -p`;
  }
  if (options.containerPort !== undefined && !isPort(options.containerPort)) {
    return `invalid container port '${options.containerPort}': use a number from 1 to 65535`;
  }
  if (options.domain !== undefined && !isHostName(options.domain)) {
    return `invalid domain '${options.domain}': use a host name such as app.example.org`;
  }
  if (options.path !== undefined) {
    if (options.domain === undefined) return '--path needs --domain: it is a prefix of the domain';
    if (options.path !== '/' && !isRoutePath(routePath(options.path)!))
      return `invalid path '${options.path}': use a prefix such as /api (letters, digits, . _ ~ -)`;
  }
  if (options.location !== undefined && !LOCATION.test(options.location)) {
    return `invalid location '${options.location}': use a pool name such as application or database`;
  }
  if (options.replicas !== undefined && !/^\d{1,3}$/.test(options.replicas)) {
    return `invalid replicas '${options.replicas}': use a whole number from 0 to 999`;
  }
  return undefined;
}

/**
 * Ports every node listens on itself: a task published on one could start nowhere, and
 * no new node would help.
 */
export const NODE_PORTS: ReadonlyMap<number, string> = new Map([
  [2376, "the node engine's TLS port"],
  [7946, "Swarm's node-to-node gossip"],
]);

function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

export function containerServiceSpec(request: LaunchRequest): ServiceSpec {
  const labels: Record<string, string> = {
    [CONTAINER_LABEL.name]: request.name,
    [CONTAINER_LABEL.client]: request.client,
    [CONTAINER_LABEL.image]: request.image.given,
  };
  if (request.domain) labels[CONTAINER_LABEL.domain] = request.domain;
  const path = routePath(request.path);
  if (path) labels[CONTAINER_LABEL.path] = path;
  if (request.port) labels[CONTAINER_LABEL.port] = String(request.port);
  if (request.location) labels[CONTAINER_LABEL.location] = request.location;
  if (request.expiresAt !== undefined)
    labels[CONTAINER_LABEL.expires] = new Date(request.expiresAt).toISOString();
  const spec: ServiceSpec = {
    name: request.name,
    image: request.image.name,
    labels,
    env: request.environment,
    replicas: request.replicas,
    reservations: resourcesOf(request),
    // Only on the manager's machines (a node joined by hand has not the label), and on
    // the pool asked for.
    constraints: [
      nodeLabelIs(NODE_LABEL.member, 'true'),
      ...(request.location ? [nodeLabelIs(NODE_LABEL.pool, request.location)] : []),
    ],
  };
  // What it reserved is what it gets: past its memory it is OOM-killed, its neighbours
  // live; its CPU is held to its reservation unless it may burst; a fork bomb stops at
  // its pids limit; its log is rotated.
  const limits = request.limits ?? DEFAULT_CONFIG.containers;
  spec.limits = {
    memoryBytes: request.memoryMb * 1_048_576,
    ...(request.cpuBurst ? {} : { nanoCpus: request.cpuMilli * 1_000_000 }),
    pids: limits.pidsLimit,
  };
  spec.capabilityDrop = DROPPED_CAPABILITIES;
  // Asked for: its client's network and no other (its own containers by name). Without
  // it, on its node's bridge, where no container reaches another (execute.sh).
  if (request.privateNetwork) spec.networks = [clientNetwork(request.client)];
  spec.logging = {
    driver: 'json-file',
    options: { 'max-size': `${limits.logMaxSizeMb}m`, 'max-file': String(limits.logMaxFiles) },
  };
  // A script replaces the image's command; arguments go to whichever runs.
  if (request.script) spec.command = [request.script];
  if (request.arguments && request.arguments.length > 0) spec.args = request.arguments;
  const target = request.containerPort ?? request.port;
  if (target) spec.ports = [{ target, published: request.port ?? 0, mode: 'host' }];
  return spec;
}

export function parsePort(text: string | undefined, what = 'port'): number | undefined {
  if (text === undefined) return undefined;
  if (!isPort(text)) throw usageError(`invalid ${what} '${text}': use a number from 1 to 65535`);
  return Number(text);
}
