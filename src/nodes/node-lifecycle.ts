/**
 * A node's life, joining the two worlds: a driver makes the machine, which joins the
 * swarm by itself; the node carrying its instance id is awaited on the manager's event
 * stream (not a poll) until Ready, then labelled. Giving a node back drains it first,
 * then stops the machine and removes the node.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MicadoError, messageOf } from '../errors.js';
import { PLACED_TASK_STATES, type OrchestratorSwarm, type SwarmNode } from '../swarm/index.js';
import {
  nodeLabels,
  type CloudDriver,
  type Instance,
  type InstanceRequest,
  type NodeBootstrap,
} from '../cloud/cloud-driver.js';
import type { TlsMaterial } from '../host/certificates.js';
import { NODE_LABEL } from '../swarm/labels.js';
import type { RegistryCredentials } from '../swarm/index.js';
import { JoinTokens } from './join-tokens.js';

/**
 * Where a new node joins (the manager's swarm address and the registry it pulls from),
 * and who issues its engine's certificate.
 */
export interface SwarmEntry extends Omit<NodeBootstrap, 'joinToken' | 'tls'> {
  issueTls(instance: string): Promise<TlsMaterial>;
  /**
   * The registry's pull account, for what the manager pulls onto a node's engine
   * before its first task (tasks get it from Swarm, with their service).
   */
  pullAuths?: Record<string, RegistryCredentials>;
  /**
   * Where starts mark themselves so the worker token is rotated once none is on its way
   * (`JoinTokens`); undefined: the token is never rotated.
   */
  joinsDir?: string;
}

export interface ProvisionedNode {
  instance: Instance;
  node: SwarmNode;
}

/**
 * Ask the driver for a machine and wait until its node is Ready. A start that fails
 * before that stops its machine; a Ready node is the caller's to label (`labelNode`)
 * and is never given back for a label that did not land.
 */
export async function startNode(
  manager: OrchestratorSwarm,
  driver: CloudDriver,
  entry: SwarmEntry,
  request: InstanceRequest,
  timeoutMs: number,
  onPhase?: (phase: string) => void,
  /** Hears the machine as soon as the driver has made it, before the node is Ready. */
  onMachine?: (instance: Instance) => Promise<void>,
): Promise<ProvisionedNode> {
  const { managerAddress, registry, catalog, catalogToken, certificate } = entry;
  const tokens = entry.joinsDir ? new JoinTokens(manager, entry.joinsDir) : undefined;
  const token = tokens ? tokens.take(request.id) : manager.joinTokens().then((t) => t.worker);
  // Made while the driver makes the machine: it waits for them only to boot it.
  const bootstrap = Promise.all([token, entry.issueTls(request.id)]).then(
    ([joinToken, tls]) => ({ managerAddress, registry, catalog, catalogToken, joinToken, tls, certificate }), // prettier-ignore
  );
  bootstrap.catch(() => undefined);
  const abort = new AbortController();
  // Subscribe before the machine exists, so its Ready event cannot slip past.
  const readiness = waitForReadyNode(manager, request.id, abort.signal);
  readiness.catch(() => undefined);
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    onPhase?.(`starting instance ${request.id}`);
    const instance = await driver.start(request, bootstrap, onPhase);
    await onMachine?.(instance);
    onPhase?.(`waiting for ${request.id} to be Ready in the swarm`);
    const node = await readiness.catch((err) => {
      if (abort.signal.aborted) {
        throw new MicadoError('cloud', `node ${request.id} was not Ready within ${timeoutMs} ms`);
      }
      throw err;
    });
    return { instance, node };
  } catch (err) {
    await driver.stop(request.id).catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
    // Joined or given up: the token it was given may go (once no other start needs it).
    if (
      tokens &&
      (await token.then(
        () => true,
        () => false,
      ))
    ) {
      await tokens
        .done(request.id)
        .catch((err: unknown) =>
          onPhase?.(`the worker join token was not rotated: ${messageOf(err)}`),
        );
    }
  }
}

/**
 * Give a joined node the manager's labels for its machine (node labels are the
 * manager's own word on a node; engine labels are the node's). Returns the node as
 * labelled.
 */
export async function labelNode(
  manager: OrchestratorSwarm,
  node: SwarmNode,
  request: InstanceRequest,
  driverName: string,
  options: { warm?: boolean } = {},
): Promise<SwarmNode> {
  const labels = nodeLabels(request, driverName);
  if (!options.warm) {
    await manager.updateNode(node.id, { labels });
    return { ...node, labels: { ...node.labels, ...labels } };
  }
  // Kept warm: paused in the same update, so Swarm places nothing on it until needed.
  const warm = { ...labels, [NODE_LABEL.warm]: 'true' };
  await manager.updateNode(node.id, { labels: warm, availability: 'pause' });
  return { ...node, labels: { ...node.labels, ...warm }, availability: 'pause' };
}

/** Resolves with the node announcing `instanceId` once it is Ready. */
async function waitForReadyNode(
  manager: OrchestratorSwarm,
  instanceId: string,
  signal: AbortSignal,
): Promise<SwarmNode> {
  const filter = { label: [`${NODE_LABEL.instance}=${instanceId}`] };
  const events = manager.events({ type: ['node'] }, signal)[Symbol.asyncIterator]();
  // The next event is asked for before the node list is read, so none slips between
  // them; it is marked handled until awaited, as it may fail while the list is read.
  const ask = () => {
    const pending = events.next();
    pending.catch(() => undefined);
    return pending;
  };
  let next = ask();
  for (;;) {
    const ready = (await manager.listNodes(filter)).find((n) => n.state === 'ready');
    if (ready) return ready;
    const result = await next;
    if (result.done) {
      throw new MicadoError(
        'docker',
        signal.aborted ? 'stopped waiting for the node' : 'the manager closed its event stream',
      );
    }
    next = ask();
  }
}

/** Find the swarm node of an instance, if it joined. */
export async function nodeOfInstance(
  manager: OrchestratorSwarm,
  instanceId: string,
): Promise<SwarmNode | undefined> {
  const nodes = await manager.listNodes({ label: [`${NODE_LABEL.instance}=${instanceId}`] });
  return nodes[0];
}

/**
 * Drain the instance's node (its tasks move elsewhere or wait), stop the machine, and
 * remove the node from the swarm. The one way a node is given back: `micado stop` and
 * the autoscaler's scale-down both come here.
 */
export async function stopNode(
  manager: OrchestratorSwarm,
  driver: CloudDriver,
  instanceId: string,
  drainTimeoutMs: number,
  onPhase?: (phase: string) => void,
): Promise<void> {
  const node = await nodeOfInstance(manager, instanceId);
  const instance = await driver.get(instanceId);
  // A node whose machine died cannot hand its tasks over: Swarm reschedules them once it
  // marks the node down, and waiting for a drain would only run out the deadline.
  const alive = node?.state === 'ready' && instance?.state !== 'failed';
  if (node && alive) {
    // Marked first, by hand as by the autoscaler: the catalog stops offering its tasks,
    // so the proxies drop its upstreams before the drain moves them.
    await manager.updateNode(node.id, { labels: { [NODE_LABEL.scalingDown]: 'true' } });
    onPhase?.(`draining ${node.hostname}`);
    await manager.updateNode(node.id, { availability: 'drain' });
    await waitDrained(manager, node.id, drainTimeoutMs);
  }
  onPhase?.(`stopping instance ${instanceId}`);
  await driver.stop(instanceId);
  if (node) {
    onPhase?.(`removing ${node.hostname} from the swarm`);
    await manager.removeNode(node.id, true);
  }
}

/** Wait until no task runs on the node, or the deadline passes (then it is stopped anyway). */
async function waitDrained(
  manager: OrchestratorSwarm,
  nodeId: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const tasks = await manager.listTasks({ node: [nodeId] });
    if (!tasks.some((t) => PLACED_TASK_STATES.has(t.state))) return;
    await sleep(100);
  }
}
