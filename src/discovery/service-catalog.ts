/**
 * The catalog kept current: read again from Swarm when the manager's event stream says
 * a service or node changed, then every 100 ms while tasks are on their way to
 * running or stopping (a manager reports no task events; 250 ms while they wait for a
 * node), and at a slow resync for
 * what no event announces (a container dying on its node). Every change raises a
 * monotonically increasing index, and the items it changed remember it, so a blocking
 * query waits for its own items only, costing nothing while they stay as they are.
 */
import { EventEmitter } from 'node:events';
import { messageOf } from '../errors.js';
import type { OrchestratorSwarm, SwarmNode, SwarmService, SwarmTask } from '../swarm/index.js';
import { catalogOf, type CatalogContent } from './catalog.js';
import { WakeLoop } from '../wake-loop.js';

export type CatalogSwarm = Pick<
  OrchestratorSwarm,
  'listNodes' | 'listServices' | 'listTasks' | 'events'
>;

const FOLLOW_MS = 100;
const AFTER_SERVICE_EVENT_MS = [100, 300, 1_000];
/** A task waiting for a node (pending) may wait minutes: followed, but more slowly. */
const WAITING_FOLLOW_MS = 250;
const RELISTEN_MS = 1_000;
/** States a task passes through: while any is in one, the catalog is about to change. */
const ON_THE_WAY = new Set(['new', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);

export interface CatalogOptions {
  /** The slow resync, for changes no event announces. */
  resyncMs: number;
  log: (line: string) => void;
}

/** What a blocking query can wait on. */
export type CatalogScope =
  | { kind: 'all' }
  | { kind: 'services' }
  | { kind: 'nodes' }
  | { kind: 'service' | 'node'; name: string };

export class ServiceCatalog {
  /** Starts at 1: Consul's clients take 0 as "no index". */
  index = 1;
  content: CatalogContent = { nodes: [], services: [] };
  /** The swarm as last read (the dashboard shows more of it than the catalog keeps). */
  reading: { nodes: SwarmNode[]; services: SwarmService[]; tasks: SwarmTask[] } | undefined;
  private readonly changedAt = new Map<string, number>();
  private readonly changes = new EventEmitter();
  private readonly abort = new AbortController();
  private readonly reads = new WakeLoop(() => this.refreshReported());
  private follow: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private listening: Promise<void> | undefined;

  constructor(
    private readonly swarm: CatalogSwarm,
    private readonly options: CatalogOptions,
  ) {
    this.changes.setMaxListeners(0);
  }

  /** Read the catalog once, then keep it current until `stop`. */
  async start(): Promise<void> {
    await this.refresh();
    this.listening = this.listen();
    this.resync = setInterval(() => this.wake(), this.options.resyncMs);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.resync);
    clearTimeout(this.follow);
    for (const timer of this.timers) clearTimeout(timer);
    this.changes.emit('change');
    await this.listening;
    await this.reads.stop();
    clearTimeout(this.follow);
  }

  /** The index at which what `scope` covers last changed. */
  indexOf(scope: CatalogScope): number {
    if (scope.kind === 'all') return this.index;
    const key =
      scope.kind === 'service' || scope.kind === 'node'
        ? `${scope.kind}/${scope.name}`
        : scope.kind;
    return this.changedAt.get(key) ?? 1;
  }

  /**
   * Resolve once what `scope` covers changes past `index`, or after `waitMs`: a
   * listener on the change signal, no timer but the deadline.
   */
  async changeAfter(scope: CatalogScope, index: number, waitMs: number): Promise<void> {
    if (this.indexOf(scope) > index || this.abort.signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changes.off('change', check);
        resolve();
      };
      const check = () => {
        if (this.indexOf(scope) > index || this.abort.signal.aborted) done();
      };
      const timer = setTimeout(done, waitMs);
      this.changes.on('change', check);
    });
  }

  /** Hear every change; returns how to stop hearing them. */
  onChange(listener: () => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  /** Read again now, or right after the read under way. */
  wake(): void {
    if (!this.abort.signal.aborted) this.reads.wake();
  }

  private async refreshReported(): Promise<void> {
    try {
      await this.refresh();
    } catch (err) {
      this.options.log(`catalog: reading the swarm failed: ${messageOf(err)}`);
    }
  }

  private async refresh(): Promise<void> {
    const [nodes, services, tasks] = await Promise.all([
      this.swarm.listNodes(),
      this.swarm.listServices(),
      this.swarm.listTasks(),
    ]);
    this.reading = { nodes, services, tasks };
    this.apply(catalogOf(nodes, services, tasks));
    clearTimeout(this.follow);
    const followMs = tasks.some(onTheWay)
      ? FOLLOW_MS
      : tasks.some((t) => t.desiredState === 'running' && t.state === 'pending')
        ? WAITING_FOLLOW_MS
        : undefined;
    if (followMs !== undefined && !this.abort.signal.aborted) {
      this.follow = setTimeout(() => this.wake(), followMs);
    }
  }

  /** Take a new reading: the items that differ, and the lists they are in, get a new index. */
  apply(next: CatalogContent): void {
    const before = keyed(this.content);
    const after = keyed(next);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
      (key) => before.get(key) !== after.get(key),
    );
    this.content = next;
    if (changed.length === 0) return;
    this.index += 1;
    for (const key of changed) {
      this.changedAt.set(key, this.index);
      this.changedAt.set(key.startsWith('service/') ? 'services' : 'nodes', this.index);
    }
    this.changes.emit('change');
  }

  private readonly timers = new Set<NodeJS.Timeout>();

  private later(delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.wake();
    }, delayMs);
    this.timers.add(timer);
  }

  private async listen(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        const events = this.swarm.events({ type: ['service', 'node'] }, signal);
        // Every event is a wake-up: what changed is read back from Swarm. Swarm makes a
        // service's tasks after the event: a few follow-ups find them (then tasks on
        // their way are followed as they move).
        for await (const event of events) {
          this.wake();
          if (event.type === 'service')
            for (const delay of AFTER_SERVICE_EVENT_MS) this.later(delay);
        }
      } catch (err) {
        if (signal.aborted) return;
        this.options.log(`catalog: event stream lost (${messageOf(err)}): listening again`);
      }
      await new Promise((r) => setTimeout(r, RELISTEN_MS));
      this.wake();
    }
  }
}

function onTheWay(task: SwarmTask): boolean {
  if (task.desiredState === 'running') return ON_THE_WAY.has(task.state);
  return task.state === 'running';
}

/** Each item as text, by `service/NAME` and `node/NAME`, to tell which ones changed. */
function keyed(content: CatalogContent): Map<string, string> {
  const items = new Map<string, string>();
  for (const service of content.services)
    items.set(`service/${service.name}`, JSON.stringify(service));
  for (const node of content.nodes) items.set(`node/${node.name}`, JSON.stringify(node));
  return items;
}
