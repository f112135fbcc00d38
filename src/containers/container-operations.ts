/**
 * Containers on the swarm: launch (with everything checked before the service is
 * made), wait for it to run, quit, remove, list. The CLI's actions are thin wrappers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { conflictError, messageOf, MicadoError } from '../errors.js';
import type { SwarmClient, SwarmNode, SwarmService } from '../swarm/index.js';
import { containerServiceSpec, type LaunchRequest } from './container-spec.js';
import { routePath } from './route-address.js';
import { chooseContainerName } from './container-names.js';
import { containerView, currentTasks, launchPhase, type ContainerView } from './container-view.js';
import { CONTAINER_LABEL } from '../swarm/labels.js';
import type { Store } from '../store/store.js';
import { ensureClientNetwork, releaseClientNetwork } from './client-network.js';
import { launchCandidates } from './image-ownership.js';

/** How often a waiting CLI looks at the tasks: Swarm has no event for task progress. */
const WATCH_INTERVAL_MS = 25;

/** What a launch asks of the private registry (cluster/registry-api.ts answers). */
export interface ImageRegistry {
  /** host:port nodes pull from: every image name starts with it. */
  address: string;
  digest(repository: string, tag: string): Promise<string | undefined>;
  exposedPorts(repository: string, tag: string): Promise<number[] | undefined>;
}

/**
 * Launch a container; resolves with its name (`asked.name` when given, else the
 * client's next: `chooseContainerName`). The service names its image by the digest
 * the registry holds now, so a later push changes nothing until the next launch.
 */
export async function launchContainer(
  manager: SwarmClient,
  registry: ImageRegistry,
  asked: Omit<LaunchRequest, 'name'> & { name?: string },
  /** A last word on the launch, given every container: a problem refuses it (a client's quota). */
  allowed?: (containers: SwarmService[]) => string | undefined,
  /** Who owns which domain (the store): a launch on a domain claims it for its client. */
  domains?: Pick<Store, 'claimDomain' | 'setDomainOwner'>,
): Promise<string> {
  const named = asked.image.name.slice(registry.address.length + 1).replace(/:[^:]+$/, '');
  const tag = asked.image.name.slice(asked.image.name.lastIndexOf(':') + 1);
  // The client's own image of the name, else the shared one; never another client's.
  const candidates = launchCandidates(asked.client, named);
  const [services, digests] = await Promise.all([
    // Every service: a stack's on a domain, or naming the client, counts as a launch's.
    manager.listServices(),
    Promise.all(candidates.map((r) => registry.digest(r, tag))),
  ]);
  const found = digests.findIndex((d) => d !== undefined);
  const repository = candidates[Math.max(found, 0)]!;
  const digest = digests[found];
  const near = neighbourhood(services, asked.client, asked.domain, routePath(asked.path));
  const name = chooseContainerName(asked.client, asked.image.given, near.names, asked.name, near.clients); // prettier-ignore
  if (!digest) {
    throw conflictError(
      `image '${asked.image.given}' is not in the private registry: build it with micado build, or push it to ${registry.address}`,
    );
  }
  // A domain is its first client's, every path of it: another client's container on it
  // (launched before ownership was recorded) refuses the launch as the record would.
  if (near.domainHolder) throw conflictError(domainTaken(asked.domain!, near.domainHolder, asked.client)); // prettier-ignore
  // A domain and path name one application: the proxy could not tell two apart.
  if (near.pathHolder) {
    const path = routePath(asked.path);
    throw conflictError(
      path
        ? `${asked.domain}${path} is already served by ${near.pathHolder}: choose another path, or quit ${near.pathHolder}`
        : `domain ${asked.domain} is already served by ${near.pathHolder}: choose another domain, share it with --path /PREFIX, or quit ${near.pathHolder}`,
    );
  }
  // A node port (-p) another container publishes too is no refusal: two tasks of it never
  // share a node, and a task pending on its port is the autoscaler's reason for a node.
  const problem = allowed?.(services);
  if (problem) throw conflictError(problem);
  const request: LaunchRequest = {
    ...asked,
    image: { ...asked.image, name: `${registry.address}/${repository}:${tag}@${digest}` },
    name,
    containerPort: asked.containerPort ?? (await exposedPortFor(asked, registry, repository, tag)),
  };
  // The domain's owner is asked last, at once: of two launches at the same moment on a
  // free domain, one client takes it. A launch that then fails gives back what it took.
  let claimed = false;
  if (asked.domain && domains) {
    const claim = await domains.claimDomain(asked.domain.toLowerCase(), asked.client);
    if (claim.owner !== asked.client) throw conflictError(domainTaken(asked.domain, claim.owner, asked.client)); // prettier-ignore
    claimed = claim.claimed;
  }
  try {
    if (asked.privateNetwork) await ensureClientNetwork(manager, asked.client);
    await manager.createService(containerServiceSpec(request));
  } catch (err) {
    if (claimed) await domains!.setDomainOwner(asked.domain!.toLowerCase(), undefined).catch(() => undefined); // prettier-ignore
    throw err;
  }
  return name;
}

/**
 * What a launch must know of the containers there are, in one pass over them: the names
 * it could collide with (only `container-CLIENT…` ones: every name it may take starts
 * so), the clients whose names start with this one's (`acme-corp` for `acme`), and who
 * else serves the domain or its path. A launch among 10,000 containers builds no set
 * of them all.
 */
function neighbourhood(
  services: SwarmService[],
  client: string,
  domain: string | undefined,
  path: string | undefined,
) {
  // prettier-ignore
  const own = `container-${client}`;
  const longer = `${client}-`;
  const wanted = domain?.toLowerCase();
  const names = new Set<string>();
  const clients = new Set<string>();
  let domainHolder: string | undefined;
  let pathHolder: string | undefined;
  for (const service of services) {
    const labels = service.labels;
    const owner = labels[CONTAINER_LABEL.client];
    if (service.name.startsWith(own)) names.add(service.name);
    if (owner?.startsWith(longer)) clients.add(owner);
    if (wanted === undefined || labels[CONTAINER_LABEL.domain]?.toLowerCase() !== wanted) continue;
    if (owner !== client) domainHolder ??= owner ?? service.name;
    if (labels[CONTAINER_LABEL.path] === path) pathHolder ??= service.name;
  }
  return { names, clients, domainHolder, pathHolder };
}

const domainTaken = (domain: string, owner: string, client: string) =>
  `domain ${domain} belongs to client ${owner}: choose another domain, or have the operator hand it over (micado client set -n ${client} --domain ${domain.toLowerCase()})`;

/**
 * The port a container with a domain and no port of its own listens on: the image's
 * first exposed TCP port. An image that exposes none cannot be served: refused.
 */
async function exposedPortFor(
  asked: Omit<LaunchRequest, 'name'>,
  registry: ImageRegistry,
  repository: string,
  tag: string,
): Promise<number | undefined> {
  if (!asked.domain || asked.port !== undefined) return undefined;
  const exposed = await registry.exposedPorts(repository, tag);
  if (!exposed || exposed.length === 0) {
    throw conflictError(
      `image '${asked.image.given}' exposes no port for the proxy to reach: give the port it listens on with -p PORT (or --container-port PORT)`,
    );
  }
  return exposed[0];
}

/**
 * Wait until every replica runs. Fails at the first task that fails (with Swarm's
 * reason) or when `timeoutMs` passes; `onPhase` hears what it waits for.
 */
export async function waitUntilRunning(
  manager: SwarmClient,
  name: string,
  timeoutMs: number,
  onPhase?: (phase: string) => void,
): Promise<ContainerView> {
  const deadline = Date.now() + timeoutMs;
  const [service, nodeList] = await Promise.all([
    manager.inspectService(name),
    manager.listNodes(),
  ]);
  let nodes = byId(nodeList);
  for (;;) {
    const tasks = await manager.listTasks({ service: [service.id] });
    if (tasks.some((t) => t.nodeId && !nodes.has(t.nodeId)))
      nodes = byId(await manager.listNodes());
    const view = containerView(service, tasks, nodes);
    onPhase?.(launchPhase(view));
    if (view.state === 'running' || view.state === 'stopped') return view;
    if (view.state === 'failing') {
      throw new MicadoError(
        'docker',
        `container ${name} failed to start: ${view.reason ?? 'its task failed'}`,
      );
    }
    if (Date.now() > deadline) {
      throw new MicadoError(
        'transient',
        `container ${name} is not running after ${Math.round(timeoutMs / 1000)} s: ${launchPhase(view)}`,
      );
    }
    await sleep(WATCH_INTERVAL_MS);
  }
}

/**
 * Wait for a launched container to run. One that cannot (a task failed, no room in
 * time, or `onPhase` gives up on it) is removed again: no crash-looping or
 * forever-pending service is left behind, and the error says so.
 */
export async function runOrRemove(
  manager: SwarmClient,
  name: string,
  timeoutMs: number,
  onPhase?: (phase: string) => void,
): Promise<ContainerView> {
  try {
    return await waitUntilRunning(manager, name, timeoutMs, onPhase);
  } catch (err) {
    await manager.removeService(name).catch(() => undefined);
    throw new MicadoError(
      err instanceof MicadoError ? err.kind : 'docker',
      `${messageOf(err)}; the container was removed`,
      { cause: err },
    );
  }
}

/** Scale to zero and wait for its tasks to stop; then remove it if asked. */
export async function quitContainer(
  manager: SwarmClient,
  service: SwarmService,
  remove: boolean,
  timeoutMs: number,
) {
  if ((service.replicas ?? 0) > 0) await manager.updateService(service.id, { replicas: 0 });
  const deadline = Date.now() + timeoutMs;
  while (currentTasks(await manager.listTasks({ service: [service.id] })).length > 0) {
    if (Date.now() > deadline) {
      throw new MicadoError(
        'transient',
        `container ${service.name} did not stop within ${Math.round(timeoutMs / 1000)} s`,
      );
    }
    await sleep(WATCH_INTERVAL_MS * 2);
  }
  if (remove) {
    await manager.removeService(service.id);
    await releaseClientNetwork(manager, service.labels[CONTAINER_LABEL.client]);
  }
}

/** Remove a stopped container; a running one is refused. */
export async function removeContainer(manager: SwarmClient, service: SwarmService) {
  const live = currentTasks(await manager.listTasks({ service: [service.id] }));
  if ((service.replicas ?? 0) > 0 || live.length > 0) {
    throw conflictError(
      `container ${service.name} is running: stop it first with micado quit -n ${service.name} (add --rm to remove it too)`,
    );
  }
  await manager.removeService(service.id);
  await releaseClientNetwork(manager, service.labels[CONTAINER_LABEL.client]);
}

/**
 * Every service (stopped ones too with `all`), newest last: micado's containers, and
 * those of stacks and of `docker service create`, each saying where it came from.
 */
export async function listContainers(manager: SwarmClient, all: boolean): Promise<ContainerView[]> {
  const [services, tasks, nodes] = await Promise.all([
    manager.listServices(),
    manager.listTasks({ 'desired-state': ['running'] }),
    manager.listNodes(),
  ]);
  const nodesById = byId(nodes);
  return services
    .map((service) => containerView(service, tasks, nodesById))
    .filter((view) => all || view.state !== 'stopped')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

/** A running task of the container, for exec and copy: the first replica's, or the one asked. */
export async function runningTask(manager: SwarmClient, service: SwarmService, replica?: number) {
  const tasks = (await manager.listTasks({ service: [service.id], 'desired-state': ['running'] }))
    .filter((t) => t.state === 'running' && t.containerId && t.nodeId)
    .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0));
  const task = replica === undefined ? tasks[0] : tasks.find((t) => t.slot === replica);
  if (!task) {
    const which = replica === undefined ? '' : ` replica ${replica} of`;
    throw conflictError(`no running${which} ${service.name}: launch it, or see micado list -c -a`);
  }
  const node = await manager.inspectNode(task.nodeId!);
  return { task, node, containerId: task.containerId! };
}

function byId(nodes: SwarmNode[]): Map<string, SwarmNode> {
  return new Map(nodes.map((n) => [n.id, n]));
}
