/**
 * CloudDriver: how micado gets and gives back machines. A driver never touches the
 * swarm's manager: it boots a machine that joins the swarm by itself (as a cloud VM's
 * boot script would) and announces its instance id as an engine label, which is how
 * the rest of micado joins the two worlds.
 */
import type { TlsMaterial } from '../host/certificates.js';

/** Where a machine's engine listens (over mutual TLS, port 2376). */
export interface EngineEndpoint {
  host: string;
  port: number;
}
import { NODE_LABEL } from '../swarm/labels.js';

export interface InstanceRequest {
  /** Chosen by the caller and unique: a retried start with the same id makes no second machine. */
  id: string;
  /** The cloud it runs on (the driver's name for local machines). */
  cloud?: string;
  pool: string;
  flavour: string;
  tag?: string;
  /** Extra labels the node announces (a pool's labels; micado.autoscaled). */
  labels?: Record<string, string>;
}

/** What a new machine needs to join the swarm. */
export interface NodeBootstrap {
  /** The manager's swarm address, host:port. */
  managerAddress: string;
  joinToken: string;
  /** host:port of the private registry every node pulls from. */
  registry: string;
  /** The catalog's Consul API, http(s)://HOST:PORT, for what runs on nodes (the proxy's routes). */
  catalog: string;
  /** The read token an https catalog asks (off loopback); never on a command line. */
  catalogToken?: string;
  /** The node engine's own certificate and key, and the cluster's CA. */
  tls: TlsMaterial;
  /** A proxy's: the certificate and key it serves its domains with over HTTPS. */
  certificate?: { cert: string; key: string };
}

/**
 * What a node's boot (the node package's execute.sh) is told, by name: its parameters,
 * and the placeholders of a CloudBroker node application's template.
 */
export interface NodeBootParameters {
  manager: string;
  token: string;
  registry: string;
  instance: string;
  pool: string;
  flavour: string;
  tag: string | undefined;
  catalog: string;
  /** The engine's CA, certificate and key, one after the other, in base64: one word. */
  tls: string;
  /** A proxy's HTTPS certificate and key, one after the other, in base64; '' for none. */
  certificate: string;
  /**
   * A one-time code for the join token and the --tls bundle, fetched from the catalog
   * at boot (`{boot}` of a job template, whose arguments the platform keeps); '' for none.
   */
  boot: string;
  /** The cluster's CA (public), base64: how a node booted by code trusts the catalog. */
  ca: string;
}

export function bootParameters(
  request: InstanceRequest,
  bootstrap: NodeBootstrap,
): NodeBootParameters {
  return {
    manager: bootstrap.managerAddress,
    token: bootstrap.joinToken,
    registry: bootstrap.registry,
    instance: request.id,
    pool: request.pool,
    flavour: request.flavour,
    tag: request.tag,
    catalog: bootstrap.catalog,
    tls: tlsBundle(bootstrap.tls),
    certificate: bootstrap.certificate
      ? Buffer.from(`${bootstrap.certificate.cert}${bootstrap.certificate.key}`).toString('base64')
      : '',
    boot: '',
    ca: Buffer.from(bootstrap.tls.ca).toString('base64'),
  };
}

/** The boot parameters by name, in the order execute.sh is told them. */
export const BOOT_PARAMETERS = [
  'manager',
  'token',
  'registry',
  'instance',
  'pool',
  'flavour',
  'tag',
  'catalog',
  'tls',
  'certificate',
  'boot',
  'ca',
] as const satisfies readonly (keyof NodeBootParameters)[];

/**
 * The secrets a boot's own body must carry (a file, a here-document), never its
 * arguments: a job's arguments carry `boot` (a one-time code for them) instead.
 */
export const SECRET_BOOT_PARAMETERS: readonly string[] = ['token', 'tls'];

/** Boot parameters as execute.sh's words: `--name value` for each one given. */
export function bootArguments(parameters: Partial<NodeBootParameters>): string[] {
  return BOOT_PARAMETERS.flatMap((name) =>
    parameters[name] ? [`--${name}`, parameters[name]] : [],
  );
}

/** The CA, the certificate and the key, in that order, as execute.sh's --tls reads them. */
export function tlsBundle(tls: TlsMaterial): string {
  return Buffer.from(`${tls.ca}${tls.cert}${tls.key}`).toString('base64');
}

export type InstanceState = 'starting' | 'running' | 'stopping' | 'failed' | 'unknown';

export interface Instance {
  id: string;
  driver: string;
  cloud?: string;
  pool: string;
  flavour: string;
  tag: string | undefined;
  /** The machine's address, once it has one. */
  address: string | undefined;
  state: InstanceState;
  createdAt: string;
  /** The cloud's own id for the machine, and its own word for its state, where it has them. */
  cloudId?: string;
  cloudState?: string;
  /** What the machine has cost so far, when its cloud says. */
  cost?: { total: number; currency: string | undefined };
}

export interface CloudDriver {
  readonly name: string;
  /** The cloud its machines run on, as cloudsetup.xml spells it (`local` for local ones). */
  readonly cloud: string;
  /**
   * Required. Start a machine that boots a node and joins the swarm; idempotent by
   * request id. Resolves once the machine is up (the node may still be joining);
   * `onPhase` hears what it waits for. The bootstrap may still be on its way (a
   * certificate being issued): a driver awaits it only where the boot needs it, so
   * both are made at once.
   */
  start(
    request: InstanceRequest,
    bootstrap: NodeBootstrap | Promise<NodeBootstrap>,
    onPhase?: (phase: string) => void,
  ): Promise<Instance>;
  /** Required. Stop the machine and delete everything it had; an unknown id is no error. */
  stop(id: string): Promise<void>;
  /** Required. Every machine this driver has, in any state. */
  list(): Promise<Instance[]>;
  /** Required. One machine, or undefined when the driver has none by that id. */
  get(id: string): Promise<Instance | undefined>;
  /**
   * Optional. Where the Docker engine of a machine listens (for exec and copy, which
   * Swarm does not offer through its manager); undefined when it cannot be reached.
   * The caller brings the cluster's TLS (nodes/node-engine.ts).
   */
  engineAddress?(id: string): EngineEndpoint | undefined;
  /**
   * Optional. Drop a machine from the driver's records without asking its cloud, for a
   * machine the user gave up stopping (`--force`); it may run on, out of micado's sight.
   */
  forget?(id: string): void;
}

export function nodeLabels(request: InstanceRequest, driver: string): Record<string, string> {
  const labels: Record<string, string> = {
    ...request.labels,
    [NODE_LABEL.instance]: request.id,
    [NODE_LABEL.driver]: driver,
    [NODE_LABEL.pool]: request.pool,
    [NODE_LABEL.flavour]: request.flavour,
  };
  if (request.tag) labels[NODE_LABEL.tag] = request.tag;
  labels[NODE_LABEL.cloud] = request.cloud ?? driver;
  labels[NODE_LABEL.member] = 'true';
  return labels;
}

const INSTANCE_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

export function isValidInstanceId(id: string): boolean {
  return INSTANCE_ID.test(id);
}
