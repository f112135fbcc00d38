/**
 * The autoscaler. Each cycle (the ReconcileLoop says when) reads the swarm, asks the
 * pure decisions what to do, and does it: start nodes (through the provisioner's
 * ledger), nudge Swarm's scheduler, give idle nodes back (give-backs.ts), consolidate
 * (delete, or replace through the ledger), move replicas. It remembers between cycles
 * what the decisions need (pool states, since when nodes are unneeded and tasks
 * pending, which task slots moved). Under dry-run every decision is logged and
 * recorded, and nothing changes.
 */
import type { MicadoConfig } from '../config/config.js';
import type { Drivers } from '../nodes/node-drivers.js';
import { messageOf } from '../errors.js';
import { nodesStartedRows } from '../monitor/usage-meter.js';
import type { Store } from '../store/store.js';
import { type OrchestratorSwarm, type SwarmNode, type SwarmService } from '../swarm/index.js';
import { buildClusterView, type ClusterView } from './cluster-view.js';
import { GiveBacks, givenBackOf } from './give-backs.js';
import { lostTasks, nudgeTargets } from './nudge.js';
import { AutoscalerMetrics } from './metrics.js';
import { afterFailure, afterSuccess, FRESH_POOL, type PoolState } from './pool-state.js';
import type { NodeProvisioner, StartOutcome } from '../nodes/node-provisioner.js';
import { ContainerPass } from './container-pass.js';
import { ScalingLog } from './scaling-log.js';
import { planScaleDown } from './scale-down.js';
import { planScaleUp } from './scale-up.js';
import { describeConsolidation, planConsolidation } from './consolidation.js';
import { Disruptions } from './disruptions.js';
import { inCronWindow } from '../host/cron-schedule.js';
import type { ProvisioningIntent } from '../store/store.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { PoolImages } from './warm-images.js';
import { SCALING_ACTION } from './scaling-progress.js';
import { NODE_LABEL } from '../swarm/labels.js';

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

const NUDGE_EVERY_MS = 2000;
/** A service has a lost task made again at most this often (remakeLost). */
const REMADE_EVERY_MS = 30_000;
const SWEEP_EVERY_MS = 60_000;

export class Autoscaler {
  readonly metrics = new AutoscalerMetrics();
  private readonly deps: AutoscalerDeps;
  private readonly now: () => number;
  private readonly poolStates = new Map<string, PoolState>();
  private unneededSince = new Map<string, number>();
  private lastScaleUp = -Infinity;
  private readonly reported = new Set<string>();
  private readonly pendingSince = new Map<string, number>();
  /** Since when each worker has been Ready (as this manager saw it). */
  private readonly readySince = new Map<string, number>();
  /** Since when each joined worker has not been Ready (a reboot, a lost engine). */
  private readonly unreadySince = new Map<string, number>();
  /** Nodes on their way out of the cluster: drained, stopped, removed. */
  private readonly giveBacks: GiveBacks;
  /** The last change, hand-overs due, and tasks moved (minTaskStayHours). */
  private readonly disruptions: Disruptions;
  private lastNudge = -Infinity;
  /** When each service last had a lost task made again: once per service a while. */
  private readonly remadeAt = new Map<string, number>();
  private lastSweep = -Infinity;
  /** What each pool's containers run: what a warm node pulls. */
  private readonly poolImages = new PoolImages();
  private readonly scalingLog: ScalingLog;
  /** Expiry and replicas: the pass over containers beside the node loop. */
  private readonly containers: ContainerPass;
  private readonly background = new Set<Promise<unknown>>();
  private readonly loop: ReconcileLoop;

  constructor(deps: AutoscalerDeps) {
    this.deps = deps;
    this.now = deps.now;
    this.scalingLog = new ScalingLog(deps);
    this.disruptions = new Disruptions(deps.store);
    this.containers = new ContainerPass(deps, this.scalingLog, this.metrics);
    this.giveBacks = new GiveBacks({
      ...deps,
      settings: () => this.settings,
      scalingLog: this.scalingLog,
      metrics: this.metrics,
      track: (work) => this.track(work),
      wake: () => this.wake(),
    });
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
    await this.disruptions.load(this.now(), this.settings.minTaskStayHours * 3_600_000);
    if (this.settings.dryRun) return;
    for (const resumed of await provisioner.resumeOpenIntents()) this.follow(resumed);
    const nodes = await manager.listNodes();
    for (const node of nodes) {
      if (node.labels[NODE_LABEL.scalingDown] === 'true')
        void this.giveBacks.giveBack(node, 'half drained at start');
    }
    const waiting = nodes.filter((n) => n.labels[NODE_LABEL.consolidating] === 'true' && n.labels[NODE_LABEL.scalingDown] !== 'true'); // prettier-ignore
    if (waiting.length > 0) this.giveBacks.inTurn(waiting, 'consolidation left at start');
  }

  /** Stop the loop; resolves once the cycle under way has ended. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Node starts and give-backs under way (a stop does not wait for them). */
  async settled(): Promise<void> {
    // Work may begin more work (a node Ready hands over the ones it replaces).
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  /** Run a cycle soon: work of the manager's own has ended (tests drive cycles themselves). */
  private wake(): void {
    this.loop.wake();
  }

  /** One reconcile cycle at `now`: read the swarm, decide, act. */
  async cycle(now: number): Promise<void> {
    const { manager, provisioner, config } = this.deps;
    // Taken before the listing: a node that joins meanwhile is then seen as incoming
    // (and dropped from it once listed), never as neither, which started a second node.
    const incoming = provisioner.incoming();
    const [nodes, tasks, services] = await Promise.all([
      manager.listNodes(),
      manager.listTasks({ 'desired-state': ['running'] }),
      manager.listServices(),
    ]);
    const view = buildClusterView(nodes, tasks, services, incoming);
    this.poolImages.observe(view.nodes, services, now);
    this.metrics.observeView(view, config.pools);
    for (const id of [...this.pendingSince.keys()]) {
      if (!view.pending.some((t) => t.id === id)) this.pendingSince.delete(id);
    }
    for (const task of view.pending)
      if (!this.pendingSince.has(task.id)) this.pendingSince.set(task.id, now);
    await this.followUnready(view, now);
    const ready = new Set(view.nodes.filter((n) => n.ready).map((n) => n.id));
    for (const id of [...this.readySince.keys()]) if (!ready.has(id)) this.readySince.delete(id);
    for (const node of view.nodes)
      if (node.ready && !this.readySince.has(node.id)) this.readySince.set(node.id, now);

    if (!this.settings.dryRun) {
      for (const instance of await provisioner.relabel())
        await this.scalingLog.record(
          SCALING_ACTION.relabel,
          instance,
          `node of ${instance} labelled`,
        );
      await this.handOvers();
    }
    await this.scaleUp(view, services, now);
    await this.nudge(view, now);
    await this.remakeLost(view, services, now);
    await this.scaleDown(view, now);
    await this.consolidate(view, now);
    await this.containers.run(services, now);
    // Workers that are no machine of the cluster leave the swarm at once (rogue-nodes.ts).
    for (const line of await provisioner.removeRogues(nodes)) {
      this.metrics.rogueNodes++;
      await this.scalingLog.record(SCALING_ACTION.rogueNode, 'cluster', line);
    }
    if (now - this.lastSweep >= SWEEP_EVERY_MS && !this.settings.dryRun) {
      this.lastSweep = now;
      // Listed now, not at the cycle's start: a node that joined meanwhile has left the
      // provisioner's starts, and would look like a machine with no node.
      for (const line of await provisioner.sweepOrphans(await manager.listNodes()))
        await this.scalingLog.record(SCALING_ACTION.orphan, 'cluster', line);
    }
  }

  /**
   * Joined workers that went down, and since when: for the unready grace, scale-up
   * counts each as coming back (a reboot), so its tasks wait for it. Said in the log
   * when one goes and when it is back. A worker already down when the manager started
   * is counted from then.
   */
  private async followUnready(view: ClusterView, now: number): Promise<void> {
    const graceMs = this.settings.unreadyGraceMs;
    // Labelled: a node that joined and was Ready once, not one still joining.
    const workers = view.nodes.filter(
      (n) => n.role === 'worker' && !n.scalingDown && n.nodeLabels[NODE_LABEL.instance],
    );
    for (const node of workers) {
      const subject = node.instance ?? node.hostname ?? node.id;
      const since = this.unreadySince.get(node.id);
      if (!node.ready && since === undefined) {
        this.unreadySince.set(node.id, now);
        await this.scalingLog.record(
          SCALING_ACTION.nodeDown,
          subject,
          `node ${node.hostname ?? node.id} is down: its tasks wait for it ${Math.round(graceMs / 1000)} s (autoscaler.unreadyGraceMs) before a new node is started for them`,
        );
      } else if (node.ready && since !== undefined) {
        this.unreadySince.delete(node.id);
        await this.scalingLog.record(
          SCALING_ACTION.nodeBack,
          subject,
          `node ${node.hostname ?? node.id} is back after ${((now - since) / 1000).toFixed(1)} s`,
        );
      }
    }
    const present = new Set(workers.map((n) => n.id));
    for (const id of [...this.unreadySince.keys()])
      if (!present.has(id)) this.unreadySince.delete(id);
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
      returning: new Set(
        [...this.unreadySince].filter(([, since]) => now - since < this.settings.unreadyGraceMs).map(([id]) => id), // prettier-ignore
      ),
    });
    this.metrics.unplaceable = plan.unplaceable.length;
    for (const { task, why } of plan.unplaceable) {
      if (this.reported.has(task.id)) continue;
      this.reported.add(task.id);
      await this.scalingLog.record(
        SCALING_ACTION.unplaceable,
        task.service,
        `a task of ${task.service} cannot run on any pool's nodes: ${why}`,
      );
    }
    for (const { node, for: services } of plan.activate) {
      const message = `waking warm node ${node.hostname} of pool ${node.pool} for ${services.join(', ')}`;
      if (this.settings.dryRun) {
        await this.scalingLog.dryRun(SCALING_ACTION.warmWoken, node.instance ?? node.id, message);
        continue;
      }
      // One node update, and Swarm places the tasks: no boot, no pull of what it holds.
      await this.deps.manager.updateNode(node.id, {
        availability: 'active',
        labels: { [NODE_LABEL.warm]: 'false' },
      });
      this.metrics.count('warmWoken', node.pool!);
      await this.scalingLog.record(SCALING_ACTION.warmWoken, node.instance ?? node.id, message);
    }
    for (const request of plan.requests) {
      // A pool of several flavours says which, and why (their price).
      const pool = { ...config.pools[request.pool]!, flavour: request.flavour ?? config.pools[request.pool]!.flavour }; // prettier-ignore
      const message = `starting ${request.count} ${pool.flavour} node${request.count === 1 ? '' : 's'} in pool ${request.pool} for ${request.for.join(', ')}${request.why ? ` (${request.why})` : ''}`;
      if (this.settings.dryRun) {
        await this.scalingLog.dryRun('scale-up', request.pool, message);
        continue;
      }
      const seen = Math.min(...view.pending.map((t) => this.pendingSince.get(t.id) ?? now), now);
      this.metrics.decisionSeconds = (now - seen) / 1000;
      this.lastScaleUp = now;
      this.disruptions.changed(now);
      this.poolStates.set(request.pool, { ...this.poolState(request.pool), lastScaleUp: now });
      await this.scalingLog.record(SCALING_ACTION.scaleUp, request.pool, message);
      await this.deps.store
        .addUsage(nodesStartedRows(now, request, services))
        .catch((err: unknown) => this.deps.log(`the nodes started were not counted: ${messageOf(err)}`)); // prettier-ignore
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
        // Before any wait: a cycle meanwhile must not take a replacement, still empty,
        // for a node to give back.
        if (outcome.intent.replaces?.length)
          this.disruptions.handOverDue(outcome.intent, outcome.node.hostname);
        this.disruptions.changed(this.now());
        this.poolStates.set(pool, afterSuccess(this.poolState(pool)));
        this.metrics.observeReady(outcome.seconds);
        const warm = outcome.node.availability === 'pause';
        await this.scalingLog.record(
          SCALING_ACTION.nodeJoined,
          instance,
          `node ${outcome.node.hostname} of pool ${pool} is Ready after ${outcome.seconds.toFixed(1)} s${warm ? ', kept warm' : ''}`,
        );
        if (warm) this.seedWarm(outcome.node, pool);
        await this.handOvers();
        if (outcome.labelError) {
          await this.scalingLog.record(
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
        const kept = outcome.intent.replaces?.length ? `; the nodes it was to replace (${outcome.intent.replaces.join(', ')}) stay` : ''; // prettier-ignore
        await this.scalingLog.record(
          SCALING_ACTION.failure,
          instance,
          `starting a node in pool ${pool} failed: ${outcome.error}; ${backoff}${kept}`,
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

  /** Nudge the scheduler on Ready nodes that tasks still waiting fit (nudge.ts). */
  private async nudge(view: ClusterView, now: number): Promise<void> {
    if (now - this.lastNudge < NUDGE_EVERY_MS || this.settings.dryRun) return;
    const targets = nudgeTargets(view, this.pendingSince, now);
    if (targets.length === 0) return;
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

  /**
   * Make again the tasks Swarm's scheduler lost (nudge.ts): the service one replica
   * fewer, which takes the waiting task away (Swarm removes a task that does not run
   * before one that does), then as many as before, which makes a new task the
   * scheduler places. Running replicas are not touched.
   */
  private async remakeLost(
    view: ClusterView,
    services: SwarmService[],
    now: number,
  ): Promise<void> {
    if (this.settings.dryRun) return;
    const { manager } = this.deps;
    for (const task of lostTasks(view, this.pendingSince, this.readySince, now)) {
      const service = services.find((s) => s.name === task.service);
      const replicas = service?.replicas;
      if (!service || !replicas || now - (this.remadeAt.get(service.id) ?? -Infinity) < REMADE_EVERY_MS) continue; // prettier-ignore
      this.remadeAt.set(service.id, now);
      const waited = ((now - this.pendingSince.get(task.id)!) / 1000).toFixed(1);
      try {
        await manager.updateService(service.id, { replicas: replicas - 1 });
        await this.untilGone(service.id, task.id);
      } finally {
        // As many as before, whatever happened between: never fewer than asked.
        await manager.updateService(service.id, { replicas });
      }
      await this.scalingLog.record(
        SCALING_ACTION.taskRemade,
        service.name,
        `a task of ${service.name} waited ${waited} s though a Ready node has room, unseen by Swarm's scheduler: made again`,
      );
    }
  }

  /** Until Swarm no longer wants task `taskId` to run (up to a few seconds). */
  private async untilGone(serviceId: string, taskId: string): Promise<void> {
    for (let tries = 0; tries < 50; tries++) {
      const tasks = await this.deps.manager.listTasks({ service: [serviceId] });
      if (!tasks.some((t) => t.id === taskId && t.desiredState === 'running')) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async scaleDown(view: ClusterView, now: number): Promise<void> {
    // One disruption at a time: while nodes are given back their tasks are on the move
    // (a replacement is empty until the nodes it replaces are drained).
    if (this.disruptions.handingOver || this.giveBacks.busy) return;
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
        await this.scalingLog.dryRun(SCALING_ACTION.warm, node.instance ?? node.id, message);
        continue;
      }
      this.unneededSince.delete(node.id);
      await this.deps.manager.updateNode(node.id, {
        availability: 'pause',
        labels: { [NODE_LABEL.warm]: 'true' },
      });
      await this.scalingLog.record(SCALING_ACTION.warm, node.instance ?? node.id, message);
      this.seedWarm({ ...node, labels: node.nodeLabels, hostname: node.hostname ?? node.id }, node.pool!); // prettier-ignore
    }
    for (const node of plan.remove) {
      const message = node.warm
        ? `giving back warm node ${node.hostname} of pool ${node.pool}: the pool keeps ${this.deps.config.pools[node.pool!]!.warm ?? 0} warm`
        : `giving back ${node.hostname} of pool ${node.pool}: reserved under ${this.settings.scaleDownUtilization * 100}% for ${Math.round((now - (this.unneededSince.get(node.id) ?? now)) / 1000)} s`;
      if (this.settings.dryRun) {
        await this.scalingLog.dryRun('scale-down', node.instance ?? node.id, message);
        continue;
      }
      this.poolStates.set(node.pool!, { ...this.poolState(node.pool!), lastScaleDown: now });
      this.unneededSince.delete(node.id);
      this.disruptions.changed(now);
      await this.disruptions.moved(node.tasks, now);
      await this.scalingLog.record(SCALING_ACTION.scaleDown, node.instance ?? node.id, message);
      await this.deps.manager.updateNode(node.id, { labels: { [NODE_LABEL.scalingDown]: 'true' } });
      void this.giveBacks.giveBack(givenBackOf(node), message);
    }
  }

  /**
   * Consolidation (consolidation.ts): outside quiet hours, once the cluster has been
   * left alone for consolidateAfterMs and nothing is being given back, give back the
   * nodes others can hold, or start one cheaper node for several (handOver gives them
   * back once it is Ready). Under dry-run, what it would do and save is logged.
   */
  private async consolidate(view: ClusterView, now: number): Promise<void> {
    const settings = this.settings;
    if (settings.consolidation === 'off') return;
    const quiet = settings.consolidationQuietHours;
    if (quiet !== '' && inCronWindow(quiet, new Date(now))) return;
    if (this.disruptions.quietFor(now) < settings.consolidateAfterMs) return;
    if (this.giveBacks.busy || this.disruptions.handingOver) return;
    const plan = planConsolidation({
      view,
      pools: this.deps.config.pools,
      flavours: this.deps.config.flavours,
      settings,
      movedAt: this.disruptions.recentMoves(now, settings.minTaskStayHours * 3_600_000),
      now,
    });
    for (const move of plan.moves) {
      const message = describeConsolidation(move);
      if (settings.dryRun) {
        await this.scalingLog.dryRun(SCALING_ACTION.consolidate, move.pool, message);
        continue;
      }
      await this.scalingLog.record(SCALING_ACTION.consolidate, move.pool, message);
      this.disruptions.changed(now);
      await this.disruptions.moved(move.moves, now);
      if (move.kind === 'delete') {
        await this.giveBacks.pauseForTurn(move.nodes.map((n) => n.id));
        this.giveBacks.inTurn(move.nodes.map(givenBackOf), message);
        continue;
      }
      const pool = { ...this.deps.config.pools[move.pool]!, flavour: move.flavour! };
      const replaces = move.nodes.map((n) => n.instance!);
      const { outcome } = await this.deps.provisioner.request(move.pool, pool, { replaces });
      this.follow(outcome);
    }
  }

  /** Hand over the replacements Ready (one that failed is tried again at each cycle). */
  private async handOvers(): Promise<void> {
    await this.disruptions.handOverEach(
      (intent, hostname) => this.handOver(intent, hostname),
      (intent, err) =>
        this.scalingLog.record(
          SCALING_ACTION.failure,
          intent.instance,
          `handing over ${intent.replaces!.join(', ')} to ${intent.instance} failed: ${messageOf(err)}; trying again at each cycle`,
        ),
    );
  }

  /**
   * A replacement is Ready: the nodes it replaces are paused and marked (durable in the
   * swarm), then its intent is closed, then they are given back in turn. A manager that
   * dies between finds the intent still replacing and does it again.
   */
  private async handOver(intent: ProvisioningIntent, hostname: string): Promise<void> {
    const { manager, store } = this.deps;
    const replaced = (await manager.listNodes()).filter((n) =>
      intent.replaces!.includes({ ...n.engineLabels, ...n.labels }[NODE_LABEL.instance] ?? ''),
    );
    await this.giveBacks.pauseForTurn(replaced.map((n) => n.id));
    await store.updateIntent(intent.id, { state: 'joined', updatedAt: this.now() });
    const why = `replaced by ${hostname} (${intent.flavour})`;
    await this.scalingLog.record(
      SCALING_ACTION.consolidate,
      intent.pool,
      `${hostname} is Ready: giving back ${replaced.map((n) => n.hostname).join(', ') || 'nothing (the nodes it replaces are gone)'} in turn`,
    );
    this.disruptions.changed(this.now());
    this.giveBacks.inTurn(replaced, why);
  }

  /** Pull onto a warm node the images its pool's containers use most, in the background. */
  private seedWarm(
    node: Pick<SwarmNode, 'hostname' | 'engineLabels' | 'labels'>,
    pool: string,
  ): void {
    const images = this.poolImages.toSeed(pool, this.settings.seedImages);
    this.track(this.deps.provisioner.pullOnto(node, images).then((said) => said && this.deps.log(said))); // prettier-ignore
  }
}
