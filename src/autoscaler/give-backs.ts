/**
 * Giving nodes back: drain (its tasks move), stop through the driver, remove from the
 * swarm, in the background. Scale-down gives idle nodes back at once; consolidation in
 * turn, one node at a time, each once the tasks the one before moved run again, so a
 * service whose replicas sat on two of them keeps one serving.
 */
import type { MicadoConfig } from '../config/config.js';
import { messageOf } from '../errors.js';
import { stopNode } from '../nodes/node-lifecycle.js';
import { machineOfNode, type Drivers } from '../nodes/node-drivers.js';
import type { OrchestratorSwarm, SwarmNode } from '../swarm/index.js';
import { NODE_LABEL } from '../swarm/labels.js';
import type { NodeView } from './cluster-view.js';
import type { AutoscalerMetrics } from './metrics.js';
import type { ScalingLog } from './scaling-log.js';
import { SCALING_ACTION } from './scaling-progress.js';

/** Between two looks at whether every task runs, after a node given back in turn. */
const PLACED_POLL_MS = 250;
/**
 * Once the moved tasks run, before the next node of the turn is marked: the catalog
 * and the proxies learn the new tasks (an event and a watch away), so a service whose
 * replicas sat on two of the nodes is served throughout.
 */
const MOVED_SETTLE_MS = 3_000;

export type GivenBack = Pick<SwarmNode, 'id' | 'hostname' | 'engineLabels' | 'labels'>;

export interface GiveBacksDeps {
  manager: OrchestratorSwarm;
  drivers: Drivers;
  settings: () => MicadoConfig['autoscaler'];
  scalingLog: ScalingLog;
  metrics: AutoscalerMetrics;
  log: (line: string) => void;
  now: () => number;
  /** Background work the autoscaler waits for on settled(). */
  track: (work: Promise<unknown>) => void;
  /** A cycle soon: a node has gone. */
  wake: () => void;
}

export class GiveBacks {
  private readonly givingBack = new Set<string>();
  /** The end of the queue of nodes given back in turn. */
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(private readonly deps: GiveBacksDeps) {}

  /** Nodes are being given back: their tasks are on the move. */
  get busy(): boolean {
    return this.givingBack.size > 0 || this.queued > 0;
  }

  /** Drain, stop, remove, in the background; resolves when done (or failed, and said). */
  giveBack(node: GivenBack, why: string): Promise<void> {
    if (this.givingBack.has(node.id)) return Promise.resolve();
    const machine = machineOfNode(node);
    if (!machine) return Promise.resolve();
    const { manager, drivers, scalingLog, metrics } = this.deps;
    const { instance } = machine;
    const pool = { ...node.engineLabels, ...node.labels }[NODE_LABEL.pool] ?? '?';
    this.givingBack.add(node.id);
    const done = Promise.resolve()
      .then(() => drivers.of(machine.place))
      .then((driver) => stopNode(manager, driver, instance, this.deps.settings().drainTimeoutMs))
      .then(async () => {
        metrics.count('scaleDowns', pool);
        await scalingLog.record(
          SCALING_ACTION.nodeRemoved,
          instance,
          `node ${node.hostname} given back (${why})`,
        );
      })
      .catch(async (err: unknown) => {
        metrics.count('failures', pool);
        await scalingLog.record(
          SCALING_ACTION.failure,
          instance,
          `giving back ${node.hostname} failed: ${messageOf(err)}; trying again`,
        );
      })
      .finally(() => {
        this.givingBack.delete(node.id);
        this.deps.wake();
      });
    this.deps.track(done);
    return done;
  }

  /**
   * Give nodes back one at a time, queued behind those queued already. A node that has
   * left the swarm by its turn is skipped (a restart may queue the same node twice).
   */
  inTurn(nodes: GivenBack[], why: string): void {
    for (const node of nodes) {
      this.queued++;
      this.queue = this.queue
        .then(async () => {
          const present = await this.deps.manager.listNodes();
          if (!present.some((n) => n.id === node.id)) return;
          await this.giveBack(node, why);
          await this.untilAllRun();
          // (The last of the queue leaves no one waiting.)
          if (this.queued > 1) await new Promise((resolve) => setTimeout(resolve, MOVED_SETTLE_MS)); // prettier-ignore
        })
        .catch((err: unknown) =>
          this.deps.log(`giving back ${node.hostname} in turn: ${messageOf(err)}`),
        )
        .finally(() => this.queued--);
    }
    this.deps.track(this.queue);
  }

  /** Paused and marked: nothing new is placed on them, what runs is served until its turn. */
  async pauseForTurn(ids: string[]): Promise<void> {
    for (const id of ids) {
      await this.deps.manager.updateNode(id, {
        availability: 'pause',
        labels: { [NODE_LABEL.consolidating]: 'true' },
      });
    }
  }

  /** Until every task Swarm wants running runs (up to the drain timeout). */
  private async untilAllRun(): Promise<void> {
    const { manager, now } = this.deps;
    const deadline = now() + this.deps.settings().drainTimeoutMs;
    while (now() < deadline) {
      const tasks = await manager.listTasks({ 'desired-state': ['running'] });
      if (tasks.every((t) => t.state === 'running')) return;
      await new Promise((resolve) => setTimeout(resolve, PLACED_POLL_MS));
    }
  }
}

export function givenBackOf(node: NodeView): GivenBack {
  return {
    id: node.id,
    hostname: node.hostname ?? node.id,
    engineLabels: node.engineLabels,
    labels: node.nodeLabels,
  };
}
