/**
 * Starting nodes for pools, safely. Each start is an intent in the store's ledger,
 * written before the driver is called, marked requested once the machine exists and
 * completed (joined, failed) after; the instance id is chosen before the call, and
 * drivers are idempotent by id, so a manager that dies at any step resumes the same
 * start on restart instead of making a second machine, and what no intent accounts
 * for is given back.
 */
import { randomBytes } from 'node:crypto';
import type { MicadoConfig, NodePool } from '../config/config.js';
import { nodeLabels, type CloudDriver, type InstanceRequest } from '../cloud/cloud-driver.js';
import { LOCAL_CLOUD, type Drivers } from './node-drivers.js';
import { labelNode, nodeOfInstance, startNode, type SwarmEntry } from './node-lifecycle.js';
import { messageOf } from '../errors.js';
import {
  connectEngine,
  isNotFound,
  type OrchestratorSwarm,
  type SwarmNode,
} from '../swarm/index.js';
import type { ProvisioningIntent, Store } from '../store/store.js';
import { NODE_LABEL } from '../swarm/labels.js';
import { engineAt, nodeEngineAddress } from './node-engine.js';
import { rogueNodes } from './rogue-nodes.js';

export interface NodeProvisionerDeps {
  manager: OrchestratorSwarm;
  /** Where new nodes join. */
  entry: SwarmEntry;
  config: MicadoConfig;
  store: Store;
  now: () => number;
  /** The drivers of the cluster's machines (a seam: tests hand in a recording fake). */
  drivers: Drivers;
}

/** How often a joining node's engine is asked whether it answers yet. */
const SEED_POLL_MS = 20;

/** A node asked of a driver that has not joined yet. */
export interface IncomingNode {
  pool: string;
  instance: string;
  /** Its flavour, when the pool's may differ (a pool of several flavours). */
  flavour?: string;
  /** Asked for to be kept warm (it is paused once Ready). */
  warm?: boolean;
}

export interface StartOutcome {
  intent: ProvisioningIntent;
  node?: SwarmNode;
  error?: string;
  /** Ready − request, for the metrics. */
  seconds: number;
  /** Why a Ready node's labels did not land (a later cycle labels it again). */
  labelError?: string;
}

export class NodeProvisioner {
  private readonly deps: NodeProvisionerDeps;
  /** Starts under way in this process, by instance id. */
  private readonly running = new Map<
    string,
    { pool: string; flavour: string; warm: boolean; promise: Promise<StartOutcome> }
  >();
  /** Workers judged machines of micado's (not rogue), by node id. */
  private readonly trusted = new Set<string>();
  /** Rogue workers reported and left alone (autoscaler.removeRogueNodes off). */
  private readonly tolerated = new Set<string>();
  /** Ready nodes whose labels have yet to land, by node id. */
  private readonly unlabelled = new Map<string, { request: InstanceRequest; driver: string }>();

  constructor(deps: NodeProvisionerDeps) {
    this.deps = deps;
  }

  /** Nodes asked for that have not joined (or failed) yet. */
  incoming(): IncomingNode[] {
    return [...this.running].map(([instance, { pool, flavour, warm }]) => ({ pool, instance, flavour, warm })); // prettier-ignore
  }

  /** Every start under way, to wait for on shutdown. */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.promise));
  }

  /**
   * Record the intent, then start the node. Resolves once the intent is recorded, with
   * the start's outcome to come (Ready, or failed and its machine stopped). A node
   * asked for `warm` is paused once Ready, for the next task that needs it; `images`
   * are pulled onto it while it joins, where its driver can reach its engine by then.
   */
  async request(
    poolName: string,
    pool: NodePool,
    options: { warm?: boolean; images?: string[]; replaces?: string[] } = {},
  ): Promise<{ outcome: Promise<StartOutcome> }> {
    const { store, now } = this.deps;
    const intent: ProvisioningIntent = {
      id: randomBytes(8).toString('hex'),
      pool: poolName,
      driver: pool.driver,
      cloud: pool.driver === LOCAL_CLOUD ? undefined : pool.cloud,
      flavour: pool.flavour,
      instance: `i-${randomBytes(4).toString('hex')}`,
      state: 'intended',
      createdAt: now(),
      updatedAt: now(),
      error: undefined,
      ...(options.replaces ? { replaces: options.replaces } : {}),
    };
    // Before the driver call: a crash from here on finds the intent on restart.
    await store.addIntent(intent);
    const timeoutMs = this.deps.config.autoscaler.provisionTimeoutMs;
    const outcome = this.begin(intent, pool, timeoutMs, options.warm ?? false);
    this.seed(intent.instance, this.deps.drivers.of(pool), options.images ?? [], outcome);
    return { outcome };
  }

  /**
   * Pull `images` onto a new node as soon as its engine answers, while it joins: its
   * first task's pull then finds them there, or on their way (the engine pulls a layer
   * once for both). A driver that cannot say where a machine's engine is before it
   * joins (a cloud's, whose address comes later) is skipped; a pull that fails costs
   * only itself.
   */
  private seed(
    instance: string,
    driver: CloudDriver,
    images: string[],
    started: Promise<StartOutcome>,
  ): void {
    if (images.length === 0 || !driver.engineAddress) return;
    let settled = false;
    void started.finally(() => (settled = true));
    void (async () => {
      while (!settled) {
        const endpoint = driver.engineAddress!(instance);
        const engine =
          endpoint &&
          connectEngine(engineAt(this.deps.config, endpoint, instance), { timeoutMs: 1000, registryAuths: this.deps.entry.pullAuths }); // prettier-ignore
        if (
          engine &&
          (await engine.ping().then(
            () => true,
            () => false,
          ))
        ) {
          await Promise.all(images.map((image) => engine.pullImage(image).catch(() => undefined)));
          return;
        }
        await new Promise((r) => setTimeout(r, SEED_POLL_MS));
      }
    })();
  }

  /**
   * Pull `images` onto a node that has joined (one kept warm), one after another, so the
   * task that wakes it starts without a pull. Resolves with what happened, for the log;
   * a node whose engine cannot be reached from here is left as it is.
   */
  async pullOnto(
    node: Pick<SwarmNode, 'hostname' | 'engineLabels' | 'labels'>,
    images: string[],
  ): Promise<string | undefined> {
    const address = nodeEngineAddress(this.deps.config, node);
    if (images.length === 0 || !address) return undefined;
    const engine = connectEngine(address, { registryAuths: this.deps.entry.pullAuths });
    const started = this.deps.now();
    try {
      for (const image of images) await engine.pullImage(image);
      return `warm node ${node.hostname}: pulled ${images.join(', ')} in ${this.deps.now() - started} ms`;
    } catch (err) {
      return `warm node ${node.hostname}: pull failed: ${messageOf(err)}`;
    }
  }

  private begin(
    intent: ProvisioningIntent,
    pool: NodePool,
    timeoutMs: number,
    warm = false,
  ): Promise<StartOutcome> {
    const promise = this.start(intent, pool, timeoutMs, warm).finally(() =>
      this.running.delete(intent.instance),
    );
    this.running.set(intent.instance, {
      pool: intent.pool,
      flavour: intent.flavour,
      warm,
      promise,
    });
    return promise;
  }

  private async start(
    intent: ProvisioningIntent,
    pool: NodePool,
    timeoutMs: number,
    warm: boolean,
  ): Promise<StartOutcome> {
    const { manager, entry, store, now } = this.deps;
    const driver = this.deps.drivers.of(pool);
    const started = now();
    const request = requestOf(intent, pool);
    try {
      const { node } = await startNode(
        manager,
        driver,
        entry,
        request,
        timeoutMs,
        undefined,
        async () => {
          if (intent.state === 'intended') {
            intent.state = 'requested';
            await store.updateIntent(intent.id, { state: 'requested', updatedAt: now() });
          }
        },
      );
      const seconds = (now() - started) / 1000;
      const joined = joinedState(intent);
      await store.updateIntent(intent.id, { state: joined, updatedAt: now() });
      try {
        const labelled = await labelNode(manager, node, request, driver.name, { warm });
        return { intent: { ...intent, state: joined }, node: labelled, seconds };
      } catch (err) {
        // The node is Ready and runs tasks on its own engine labels: it is kept, and
        // labelled again by a later cycle (relabel), never thrown away for this.
        this.unlabelled.set(node.id, { request, driver: driver.name });
        return {
          intent: { ...intent, state: joined },
          node,
          seconds,
          labelError: messageOf(err),
        };
      }
    } catch (err) {
      // startNode has stopped the machine; the intent is closed with why.
      const error = messageOf(err);
      await store
        .updateIntent(intent.id, { state: 'failed', updatedAt: now(), error })
        .catch(() => undefined);
      return { intent: { ...intent, state: 'failed' }, error, seconds: (now() - started) / 1000 };
    }
  }

  /** Label the Ready nodes whose labels did not land at their start; returns those done. */
  async relabel(): Promise<string[]> {
    const done: string[] = [];
    for (const [nodeId, { request, driver }] of this.unlabelled) {
      try {
        await this.deps.manager.updateNode(nodeId, { labels: nodeLabels(request, driver) });
        this.unlabelled.delete(nodeId);
        done.push(request.id);
      } catch (err) {
        if (isNotFound(err) || isNotFound((err as Error).cause)) this.unlabelled.delete(nodeId);
      }
    }
    return done;
  }

  /**
   * On start: finish what a previous manager left. An open intent whose node joined is
   * completed (a replacement's outcome is returned, for the nodes it replaces to be
   * handed over); one still within its time is resumed (the driver makes no second
   * machine for the same id); one past its time, or for a pool no longer configured,
   * is given back. Returns the resumed starts.
   */
  async resumeOpenIntents(): Promise<Promise<StartOutcome>[]> {
    const { manager, store, config, now } = this.deps;
    const resumed: Promise<StartOutcome>[] = [];
    for (const intent of await store.openIntents()) {
      const pool = config.pools[intent.pool];
      const node = await nodeOfInstance(manager, intent.instance);
      if (node?.state === 'ready' || (node && intent.state === 'replacing')) {
        await manager.updateNode(node.id, {
          labels: nodeLabels(requestOf(intent, pool), intent.driver),
        });
        const state = joinedState(intent);
        if (state !== intent.state) await store.updateIntent(intent.id, { state, updatedAt: now() }); // prettier-ignore
        if (state === 'replacing') resumed.push(Promise.resolve({ intent: { ...intent, state }, node, seconds: 0 })); // prettier-ignore
        continue;
      }
      if (intent.state === 'replacing') {
        // The replacement left the swarm first: the nodes it was for stay as they are.
        await store.updateIntent(intent.id, { state: 'joined', updatedAt: now(), error: 'the node left before the nodes it replaces were handed over' }); // prettier-ignore
        continue;
      }
      const left = intent.createdAt + config.autoscaler.provisionTimeoutMs - now();
      if (pool && left > 0) {
        resumed.push(this.begin(intent, pool, left));
        continue;
      }
      const driver = this.deps.drivers.of(pool ?? intent);
      await driver.stop(intent.instance);
      if (node) await manager.removeNode(node.id, true).catch(() => undefined);
      await store.updateIntent(intent.id, {
        state: 'abandoned',
        updatedAt: now(),
        error: pool
          ? 'not Ready within the provisioning timeout'
          : `pool ${intent.pool} is no longer configured`,
      });
    }
    return resumed;
  }

  /**
   * Remove from the swarm every worker that is no machine of micado's (rogue-nodes.ts),
   * at once and by force: its tasks start again elsewhere. Under dry-run or with
   * autoscaler.removeRogueNodes off, each is only reported, once. The drivers are asked
   * only when a worker not judged before is there. Returns what was done, a line each.
   */
  async removeRogues(nodes: SwarmNode[]): Promise<string[]> {
    const { removeRogueNodes, dryRun } = this.deps.config.autoscaler;
    // Judged once Ready: a node that has just joined has not told its labels yet.
    const workers = nodes.filter((n) => n.role === 'worker' && n.state === 'ready');
    const judged = (n: SwarmNode) => this.trusted.has(n.id) || this.tolerated.has(n.id);
    if (workers.every(judged)) return [];
    // Machines that cannot be listed now are no grounds to remove anything: judged later.
    const machines = await this.deps.drivers.machines().catch(() => undefined);
    if (!machines) return [];
    const known = new Map<string, string | undefined>([
      ...[...this.running.keys()].map((id) => [id, undefined] as const),
      ...machines.map((m) => [m.instance.id, m.instance.address] as const),
    ]);
    const rogues = rogueNodes(workers, known, this.trusted);
    for (const node of workers) if (!rogues.includes(node)) this.trusted.add(node.id);
    const done: string[] = [];
    for (const node of rogues.filter((n) => !this.tolerated.has(n.id))) {
      const claim = node.engineLabels[NODE_LABEL.instance];
      const what = `node ${node.hostname} at ${node.address} is no machine of this cluster${claim ? ` (it claims ${claim})` : ''}`; // prettier-ignore
      if (!removeRogueNodes || dryRun) {
        this.tolerated.add(node.id);
        done.push(`${what}: left in the swarm (${dryRun ? 'dry run' : 'autoscaler.removeRogueNodes is off'})`); // prettier-ignore
        continue;
      }
      await this.deps.manager.removeNode(node.id, true);
      done.push(`${what}: removed from the swarm`);
    }
    return done;
  }

  /**
   * Machines with no node past the provisioning timeout that no start here accounts
   * for, and nodes whose machine no driver has that are down: given back, removed.
   */
  async sweepOrphans(nodes: SwarmNode[]): Promise<string[]> {
    const { manager, config, now } = this.deps;
    const done: string[] = [];
    const joined = new Set(
      nodes.map((n) => ({ ...n.engineLabels, ...n.labels })[NODE_LABEL.instance]).filter(Boolean),
    );
    const machines = await this.deps.drivers.machines();
    for (const { driver, instance } of machines) {
      if (joined.has(instance.id) || this.running.has(instance.id)) continue;
      const age = now() - Date.parse(instance.createdAt);
      if (!(age > config.autoscaler.provisionTimeoutMs)) continue;
      await driver.stop(instance.id);
      done.push(
        `machine ${instance.id} (${driver.name}) had no node after ${Math.round(age / 1000)} s: stopped`,
      );
    }
    const known = new Set(machines.map((m) => m.instance.id));
    for (const node of nodes.filter((n) => n.role === 'worker' && n.state === 'down')) {
      const instance = { ...node.engineLabels, ...node.labels }[NODE_LABEL.instance];
      if (!instance || known.has(instance) || this.running.has(instance)) continue;
      await manager.removeNode(node.id, true);
      done.push(`node ${node.hostname} had no machine: removed from the swarm`);
    }
    return done;
  }
}

/** Where an intent goes once its node joined: a replacement still has nodes to hand over. */
function joinedState(intent: ProvisioningIntent): 'joined' | 'replacing' {
  return intent.replaces?.length ? 'replacing' : 'joined';
}

function requestOf(intent: ProvisioningIntent, pool: NodePool | undefined): InstanceRequest {
  return {
    id: intent.instance,
    cloud: intent.cloud,
    pool: intent.pool,
    flavour: intent.flavour,
    tag: intent.instance,
    labels: { ...pool?.labels, [NODE_LABEL.autoscaled]: 'true' },
  };
}
