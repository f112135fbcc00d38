/**
 * The autoscaler. Each cycle (the ReconcileLoop says when) reads the swarm, asks the
 * pure decisions what to do, and does it: start nodes (through the provisioner's
 * ledger), nudge Swarm's scheduler, give idle nodes back, move replicas. It remembers
 * between cycles what the decisions need (pool states, since when nodes are unneeded
 * and tasks pending). Under dry-run every decision is logged and recorded, and nothing
 * changes.
 */
import type { MicadoConfig } from '../config/config.js';
import { stopNode } from '../nodes/node-lifecycle.js';
import { machineOfNode, type Drivers } from '../nodes/node-drivers.js';
import { clientUsage, quotaProblem } from '../clients/client-quota.js';
import { expired, expiresAt } from '../clients/time-limits.js';
import { messageOf } from '../errors.js';
import { serviceUsage } from '../monitor/usage.js';
import { usageRow } from '../monitor/usage-meter.js';
import { HOUR_MS } from '../store/usage-grains.js';
import type { Store } from '../store/store.js';
import {
  amountOf,
  connectEngine,
  type OrchestratorSwarm,
  type SwarmNode,
  type SwarmService,
} from '../swarm/index.js';
import { buildClusterView, type ClusterView, type NodeView } from './cluster-view.js';
import { canHold, roomOn } from './placement.js';
import { AutoscalerMetrics } from './metrics.js';
import { afterFailure, afterSuccess, FRESH_POOL, type PoolState } from './pool-state.js';
import type { NodeProvisioner, StartOutcome } from '../nodes/node-provisioner.js';
import { planReplicas, policyFromLabels } from './replicas.js';
import { planScaleDown } from './scale-down.js';
import { planScaleUp } from './scale-up.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { PoolImages } from './warm-images.js';
import { nodeEngineAddress } from '../nodes/node-engine.js';
import { SCALING_ACTION } from './scaling-progress.js';
import { CONTAINER_LABEL, NODE_LABEL } from '../swarm/labels.js';

export interface AutoscalerDeps {
  manager: OrchestratorSwarm;
  config: MicadoConfig;
  store: Store;
  provisioner: NodeProvisioner;
  /** The drivers of the cluster's machines (for giving nodes back). */
  drivers: Drivers;
  log: (line: string) => void;
  now: () => number;
}

/** A task that fits a Ready node and is still pending this long gets the scheduler nudged. */
const NUDGE_AFTER_MS = 1000;
const NUDGE_EVERY_MS = 2000;
const SWEEP_EVERY_MS = 60_000;

export class Autoscaler {
  readonly metrics = new AutoscalerMetrics();
  private readonly deps: AutoscalerDeps;
  private readonly now: () => number;
  private readonly poolStates = new Map<string, PoolState>();
  private unneededSince = new Map<string, number>();
  private lastScaleUp = -Infinity;
  private readonly reported = new Set<string>();
  private readonly replicaChanges = new Map<string, number>();
  private readonly pendingSince = new Map<string, number>();
  private readonly givingBack = new Set<string>();
  private lastNudge = -Infinity;
  private lastSweep = -Infinity;
  /** What each pool's containers run: what a warm node pulls. */
  private readonly poolImages = new PoolImages();
  /** Dry-run decisions already recorded, so an unchanged one is not recorded each cycle. */
  private dryRunSaid = new Set<string>();
  private readonly heldSaid = new Set<string>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly loop: ReconcileLoop;

  constructor(deps: AutoscalerDeps) {
    this.deps = deps;
    this.now = deps.now;
    this.loop = new ReconcileLoop({
      events: deps.manager,
      cycle: (now) => this.cycle(now),
      now: deps.now,
      scanIntervalMs: deps.config.autoscaler.scanIntervalMs,
      log: deps.log,
      observe: (seconds, error) => {
        if (error) this.metrics.cycleErrors++;
        this.metrics.observeCycle(seconds);
      },
    });
  }

  /** When the last cycle ended well (epoch ms), and why the last one failed. */
  get lastCycleOk(): number {
    return this.loop.lastCycleOk;
  }

  get lastError(): string | undefined {
    return this.loop.lastError;
  }

  private get settings() {
    return this.deps.config.autoscaler;
  }

  /** What it remembers of each pool: failures, backoff, last scalings. */
  get pools(): ReadonlyMap<string, PoolState> {
    return this.poolStates;
  }

  private poolState(pool: string): PoolState {
    return this.poolStates.get(pool) ?? FRESH_POOL;
  }

  /** Finish what a previous manager left, then run the loop. */
  async start(): Promise<void> {
    await this.resume();
    this.loop.start();
  }

  /** Finish what a previous manager left: node starts under way, nodes half given back. */
  async resume(): Promise<void> {
    const { manager, provisioner } = this.deps;
    if (this.settings.dryRun) return;
    for (const resumed of await provisioner.resumeOpenIntents()) this.follow(resumed);
    for (const node of await manager.listNodes()) {
      if (node.labels[NODE_LABEL.scalingDown] === 'true')
        this.giveBack(node, 'half drained at start');
    }
  }

  /** Stop the loop; resolves once the cycle under way has ended. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Node starts and give-backs under way (a stop does not wait for them). */
  async settled(): Promise<void> {
    await Promise.all([...this.background]);
  }

  /** Run a cycle soon: work of the manager's own has ended (tests drive cycles themselves). */
  private wake(): void {
    this.loop.wake();
  }

  /** One reconcile cycle at `now`: read the swarm, decide, act. */
  async cycle(now: number): Promise<void> {
    const { manager, provisioner, config } = this.deps;
    const [nodes, tasks, services] = await Promise.all([
      manager.listNodes(),
      manager.listTasks({ 'desired-state': ['running'] }),
      manager.listServices(),
    ]);
    const view = buildClusterView(nodes, tasks, services, provisioner.incoming());
    this.poolImages.observe(view.nodes, services, now);
    this.metrics.observeView(view, config.pools);
    for (const id of [...this.pendingSince.keys()]) {
      if (!view.pending.some((t) => t.id === id)) this.pendingSince.delete(id);
    }
    for (const task of view.pending)
      if (!this.pendingSince.has(task.id)) this.pendingSince.set(task.id, now);

    if (!this.settings.dryRun) {
      for (const instance of await provisioner.relabel())
        await this.record(SCALING_ACTION.relabel, instance, `node of ${instance} labelled`);
    }
    await this.scaleUp(view, services, now);
    await this.nudge(view, now);
    await this.scaleDown(view, now);
    await this.expire(services, now);
    await this.scaleReplicas(services, now);
    if (now - this.lastSweep >= SWEEP_EVERY_MS && !this.settings.dryRun) {
      this.lastSweep = now;
      for (const line of await provisioner.sweepOrphans(nodes))
        await this.record(SCALING_ACTION.orphan, 'cluster', line);
    }
  }

  private async scaleUp(view: ClusterView, services: SwarmService[], now: number): Promise<void> {
    const { config } = this.deps;
    const plan = planScaleUp({
      view,
      pools: config.pools,
      flavours: config.flavours,
      limits: this.settings,
      poolStates: this.poolStates,
      scaleUpCooldownMs: this.settings.scaleUpCooldownMs,
      now,
    });
    this.metrics.unplaceable = plan.unplaceable.length;
    for (const { task, why } of plan.unplaceable) {
      if (this.reported.has(task.id)) continue;
      this.reported.add(task.id);
      await this.record(
        SCALING_ACTION.unplaceable,
        task.service,
        `a task of ${task.service} cannot run on any pool's nodes: ${why}`,
      );
    }
    for (const { node, for: services } of plan.activate) {
      const message = `waking warm node ${node.hostname} of pool ${node.pool} for ${services.join(', ')}`;
      if (this.settings.dryRun) {
        await this.dryRun(SCALING_ACTION.warmWoken, node.instance ?? node.id, message);
        continue;
      }
      // One node update, and Swarm places the tasks: no boot, no pull of what it holds.
      await this.deps.manager.updateNode(node.id, {
        availability: 'active',
        labels: { [NODE_LABEL.warm]: 'false' },
      });
      this.metrics.count('warmWoken', node.pool!);
      await this.record(SCALING_ACTION.warmWoken, node.instance ?? node.id, message);
    }
    for (const request of plan.requests) {
      const pool = config.pools[request.pool]!;
      const message = `starting ${request.count} ${pool.flavour} node${request.count === 1 ? '' : 's'} in pool ${request.pool} for ${request.for.join(', ')}`;
      if (this.settings.dryRun) {
        await this.dryRun('scale-up', request.pool, message);
        continue;
      }
      const seen = Math.min(...view.pending.map((t) => this.pendingSince.get(t.id) ?? now), now);
      this.metrics.decisionSeconds = (now - seen) / 1000;
      this.lastScaleUp = now;
      this.poolStates.set(request.pool, { ...this.poolState(request.pool), lastScaleUp: now });
      await this.record(SCALING_ACTION.scaleUp, request.pool, message);
      await this.countNodesStarted(request, services, now);
      const warmFrom = request.count - (request.warm ?? 0);
      // What the new nodes pull while they join: the waiting tasks' images first.
      const images = this.poolImages.toSeed(request.pool, this.settings.seedImages, services.filter((s) => request.for.includes(s.name)).map((s) => s.image)); // prettier-ignore
      for (let i = 0; i < request.count; i++) {
        this.metrics.count('scaleUps', request.pool);
        const warm = i >= warmFrom;
        const { outcome } = await this.deps.provisioner.request(request.pool, pool, { warm, images }); // prettier-ignore
        this.follow(outcome);
      }
    }
  }

  /** Watch a node start to its end: backoff on failure, and a cycle either way. */
  private follow(start: Promise<StartOutcome>): void {
    const done = start.then(async (outcome) => {
      const { pool, instance, createdAt } = outcome.intent;
      if (outcome.node) {
        this.poolStates.set(pool, afterSuccess(this.poolState(pool)));
        this.metrics.observeReady(outcome.seconds);
        const warm = outcome.node.availability === 'pause';
        await this.record(
          SCALING_ACTION.nodeJoined,
          instance,
          `node ${outcome.node.hostname} of pool ${pool} is Ready after ${outcome.seconds.toFixed(1)} s${warm ? ', kept warm' : ''}`,
        );
        if (warm) this.seedWarm(outcome.node, pool);
        if (outcome.labelError) {
          await this.record(
            SCALING_ACTION.relabel,
            instance,
            `node ${outcome.node.hostname} kept unlabelled for now (${outcome.labelError}); labelling it again`,
          );
        }
      } else {
        const before = this.poolState(pool);
        const state = afterFailure(before, this.now(), createdAt, this.settings);
        this.poolStates.set(pool, state);
        this.metrics.count('failures', pool);
        const wait = Math.round((state.backoffUntil - this.now()) / 1000);
        const backoff =
          state === before
            ? `pool already backed off for ${wait} s by a start that failed with it`
            : `pool backed off for ${wait} s`;
        await this.record(
          SCALING_ACTION.failure,
          instance,
          `starting a node in pool ${pool} failed: ${outcome.error}; ${backoff}`,
        );
      }
      this.wake();
    });
    this.track(done);
  }

  private track(promise: Promise<unknown>): void {
    const guarded = promise.catch((err: unknown) =>
      this.deps.log(`background work failed: ${messageOf(err)}`),
    );
    this.background.add(guarded);
    void guarded.finally(() => this.background.delete(guarded));
  }

  /**
   * Swarm places a pending task when a node joins or changes; should a task that fits a
   * Ready node still wait, updating that node (a label with the time) makes the
   * scheduler look again, without touching any running replica.
   */
  private async nudge(view: ClusterView, now: number): Promise<void> {
    if (now - this.lastNudge < NUDGE_EVERY_MS || this.settings.dryRun) return;
    const ready = view.nodes.filter(
      (n) => n.role === 'worker' && n.ready && n.active && !n.scalingDown,
    );
    const stuck = view.pending.filter(
      (t) => now - (this.pendingSince.get(t.id) ?? now) >= NUDGE_AFTER_MS,
    );
    const targets = new Set<NodeView>();
    for (const task of stuck) {
      const node = ready.find((n) => canHold(roomOn(n), task));
      if (node) targets.add(node);
    }
    if (targets.size === 0) return;
    this.lastNudge = now;
    for (const node of targets) {
      // A nudge that does not land is tried again at the next one: no cycle fails for it.
      await this.deps.manager
        .updateNode(node.id, { labels: { [NODE_LABEL.nudged]: String(now) } })
        .then(() => this.metrics.nudges++)
        .catch((err: unknown) => this.deps.log(`nudge of ${node.hostname}: ${messageOf(err)}`));
    }
    this.deps.log(`nudged the scheduler on ${[...targets].map((n) => n.hostname).join(', ')}`);
  }

  private async scaleDown(view: ClusterView, now: number): Promise<void> {
    const plan = planScaleDown({
      view,
      pools: this.deps.config.pools,
      settings: this.settings,
      poolStates: this.poolStates,
      unneededSince: this.unneededSince,
      lastScaleUp: this.lastScaleUp,
      now,
    });
    this.unneededSince = plan.unneededSince;
    for (const node of plan.keepWarm) {
      const message = `keeping ${node.hostname} of pool ${node.pool} warm: the pool keeps ${this.deps.config.pools[node.pool!]!.warm} warm`;
      if (this.settings.dryRun) {
        await this.dryRun(SCALING_ACTION.warm, node.instance ?? node.id, message);
        continue;
      }
      this.unneededSince.delete(node.id);
      await this.deps.manager.updateNode(node.id, {
        availability: 'pause',
        labels: { [NODE_LABEL.warm]: 'true' },
      });
      await this.record(SCALING_ACTION.warm, node.instance ?? node.id, message);
      this.seedWarm({ ...node, labels: node.nodeLabels, hostname: node.hostname ?? node.id }, node.pool!); // prettier-ignore
    }
    for (const node of plan.remove) {
      const message = node.warm
        ? `giving back warm node ${node.hostname} of pool ${node.pool}: the pool keeps ${this.deps.config.pools[node.pool!]!.warm ?? 0} warm`
        : `giving back ${node.hostname} of pool ${node.pool}: reserved under ${this.settings.scaleDownUtilization * 100}% for ${Math.round((now - (this.unneededSince.get(node.id) ?? now)) / 1000)} s`;
      if (this.settings.dryRun) {
        await this.dryRun('scale-down', node.instance ?? node.id, message);
        continue;
      }
      this.poolStates.set(node.pool!, { ...this.poolState(node.pool!), lastScaleDown: now });
      this.unneededSince.delete(node.id);
      await this.record(SCALING_ACTION.scaleDown, node.instance ?? node.id, message);
      await this.deps.manager.updateNode(node.id, { labels: { [NODE_LABEL.scalingDown]: 'true' } });
      this.giveBack(
        {
          id: node.id,
          hostname: node.hostname ?? node.id,
          engineLabels: node.engineLabels,
          labels: node.nodeLabels,
        },
        message,
      );
    }
  }

  /**
   * Pull onto a warm node the images its pool's containers use most, in the background,
   * so the task that wakes it starts without a pull. A pull that fails costs nothing
   * but that: the task pulls what it needs, as on any new node.
   */
  private seedWarm(
    node: Pick<SwarmNode, 'hostname' | 'engineLabels' | 'labels'>,
    pool: string,
  ): void {
    const images = this.poolImages.toSeed(pool, this.settings.seedImages);
    const address = nodeEngineAddress(this.deps.config, node);
    if (images.length === 0 || !address) return;
    const engine = connectEngine(address);
    const started = this.now();
    const seeding = (async () => {
      for (const image of images) await engine.pullImage(image);
      this.deps.log(`warm node ${node.hostname}: pulled ${images.join(', ')} in ${this.now() - started} ms`);
    })().catch((err: unknown) => this.deps.log(`warm node ${node.hostname}: pull failed: ${messageOf(err)}`)); // prettier-ignore
    this.track(seeding);
  }

  /** Drain, stop through the driver, remove from the swarm: in the background. */
  private giveBack(
    node: Pick<SwarmNode, 'id' | 'hostname' | 'engineLabels' | 'labels'>,
    why: string,
  ): void {
    if (this.givingBack.has(node.id)) return;
    const machine = machineOfNode(node);
    if (!machine) return;
    const { instance } = machine;
    const pool = { ...node.engineLabels, ...node.labels }[NODE_LABEL.pool] ?? '?';
    this.givingBack.add(node.id);
    const done = Promise.resolve()
      .then(() => this.deps.drivers.of(machine.place))
      .then((driver) => stopNode(this.deps.manager, driver, instance, this.settings.drainTimeoutMs))
      .then(async () => {
        this.metrics.count('scaleDowns', pool);
        await this.record(
          SCALING_ACTION.nodeRemoved,
          instance,
          `node ${node.hostname} given back (${why})`,
        );
      })
      .catch(async (err: unknown) => {
        this.metrics.count('failures', pool);
        await this.record(
          SCALING_ACTION.failure,
          instance,
          `giving back ${node.hostname} failed: ${messageOf(err)}; trying again`,
        );
      })
      .finally(() => {
        this.givingBack.delete(node.id);
        this.wake();
      });
    this.track(done);
  }

  private async scaleReplicas(services: SwarmService[], now: number): Promise<void> {
    const { store, manager } = this.deps;
    const mine = services.filter((s) => s.labels[CONTAINER_LABEL.name] !== undefined);
    const [policies, containers, clients] = await Promise.all([
      store.imagePolicies(),
      store.containers(),
      store.clients(),
    ]);
    const withPolicy = mine.filter(
      (s) =>
        policyFromLabels(s.labels) ||
        policies.some((p) => p.image === s.labels[CONTAINER_LABEL.image]),
    );
    if (withPolicy.length === 0) return;
    const changes = planReplicas({
      services: withPolicy.map((s) => ({
        name: s.name,
        image: s.labels[CONTAINER_LABEL.image] ?? s.image,
        replicas: s.replicas ?? 0,
        reserved: amountOf(s.reservations),
        policy: policyFromLabels(s.labels),
      })),
      imagePolicies: policies,
      usage: new Map(
        withPolicy
          .map((s) => [s.name, serviceUsage(containers, s.name)] as const)
          .filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== undefined),
      ),
      lastChange: this.replicaChanges,
      cooldownMs: this.settings.replicaCooldownMs,
      now,
    });
    // What a client may use caps what its load asks: more replicas only within its limits.
    const limitsOf = new Map(clients.map((c) => [c.name, c.limits]));
    const allowed = changes.filter((change) => {
      if (change.to <= change.from) return true;
      const service = mine.find((s) => s.name === change.service)!;
      const client = service.labels[CONTAINER_LABEL.client] ?? '';
      const limits = limitsOf.get(client) ?? this.deps.config.clients.defaults;
      const problem = quotaProblem(client, limits, clientUsage(mine, client), {
        containers: 0,
        replicas: change.to - change.from,
        each: amountOf(service.reservations),
      });
      if (problem) this.heldOnce(change.service, `held at ${change.from} replicas: ${problem}`);
      return problem === undefined;
    });
    for (const change of allowed) {
      const message = `${change.service}: ${change.from} → ${change.to} replicas (${change.why})`;
      if (this.settings.dryRun) {
        await this.dryRun('replicas', change.service, message);
        continue;
      }
      await manager.updateService(change.service, { replicas: change.to });
      this.replicaChanges.set(change.service, now);
      this.metrics.replicaChanges++;
      await this.record(SCALING_ACTION.replicas, change.service, message);
    }
  }

  /** Containers past their time limit are removed (their tasks stop with them). */
  private async expire(services: SwarmService[], now: number): Promise<void> {
    for (const service of expired(services, now)) {
      const message = `${service.name}: its time limit ran out at ${new Date(expiresAt(service)!).toISOString()}: removed`; // prettier-ignore
      if (this.settings.dryRun) {
        await this.dryRun(SCALING_ACTION.expired, service.name, message);
        continue;
      }
      await this.deps.manager.removeService(service.id);
      await this.record(SCALING_ACTION.expired, service.name, message);
    }
  }

  /** A replica change a client's limits hold back: said once, not at every cycle. */
  private heldOnce(service: string, message: string): void {
    const key = `${service}|${message}`;
    if (this.heldSaid.has(key)) return;
    if (this.heldSaid.size > 1000) this.heldSaid.clear();
    this.heldSaid.add(key);
    void this.record(SCALING_ACTION.held, service, message);
  }

  private async dryRun(action: string, subject: string, message: string): Promise<void> {
    const key = `${action}|${subject}|${message}`;
    if (this.dryRunSaid.has(key)) return;
    this.dryRunSaid.add(key);
    if (this.dryRunSaid.size > 1000) this.dryRunSaid = new Set([key]);
    await this.record(action, subject, `dry run, not done: ${message}`);
  }

  /** Nodes started, as reports count them: for their pool, and for each client they are for. */
  private async countNodesStarted(
    request: { pool: string; count: number; for: string[] },
    services: SwarmService[],
    now: number,
  ): Promise<void> {
    const clients = new Set(
      services
        .filter((s) => request.for.includes(s.name))
        .flatMap((s) => s.labels[CONTAINER_LABEL.client] ?? []),
    );
    const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
    const started = { nodesStarted: request.count };
    await this.deps.store
      .addUsage([
        usageRow(hour, 'pool', request.pool, started),
        ...[...clients].map((client) => usageRow(hour, 'client', client, started)),
      ])
      .catch((err: unknown) =>
        this.deps.log(`the nodes started were not counted: ${messageOf(err)}`),
      );
  }

  private async record(action: string, subject: string, message: string): Promise<void> {
    this.deps.log(`${action} ${subject}: ${message}`);
    await this.deps.store
      .recordEvent({ at: this.now(), actor: 'manager', action, subject, message })
      .catch((err: unknown) => this.deps.log(`the event was not recorded: ${messageOf(err)}`));
  }
}
