/**
 * A small in-memory swarm for unit tests of the manager: nodes, services and tasks as
 * plain data, every write recorded, node events pushed to whoever listens. It places
 * nothing by itself: a test says where tasks run, as Swarm's scheduler would.
 */
import type {
  EngineEvent,
  EventFilters,
  ListFilters,
  OrchestratorSwarm,
  SwarmNode,
  SwarmService,
  SwarmTask,
} from '../swarm/index.js';

export class FakeSwarm implements OrchestratorSwarm {
  nodes: SwarmNode[] = [];
  services: SwarmService[] = [];
  tasks: SwarmTask[] = [];
  /** Every write, in order, as "updateNode ID {…}", "removeNode ID", "updateService NAME {…}". */
  readonly calls: string[] = [];
  /** The next N node updates fail, as an engine that keeps refusing them would. */
  failNodeUpdates = 0;
  /** Node updates it says yes to fail too (a manager that dies before making them). */
  refuseNodeUpdate?: (change: {
    labels?: Record<string, string>;
    availability?: string;
  }) => boolean;
  private listeners = new Set<(event: EngineEvent) => void>();

  /** Rotations so far: the worker token names how many. */
  rotations = 0;

  async joinTokens() {
    return { worker: `SWMTKN-worker-fake-${this.rotations}`, manager: 'SWMTKN-manager-fake' };
  }

  async rotateWorkerToken() {
    this.rotations++;
    this.calls.push('rotateWorkerToken');
  }

  async listNodes(filters: ListFilters = {}): Promise<SwarmNode[]> {
    return this.nodes
      .filter((n) => !filters.role || filters.role.includes(n.role))
      .filter((n) => (filters.label ?? []).every((l) => hasLabel(n.engineLabels, l)))
      .map((n) => structuredClone(n));
  }

  async updateNode(
    id: string,
    change: { labels?: Record<string, string>; availability?: SwarmNode['availability'] },
  ): Promise<void> {
    if (this.failNodeUpdates > 0 || this.refuseNodeUpdate?.(change)) {
      this.failNodeUpdates = Math.max(0, this.failNodeUpdates - 1);
      throw new Error(`update node ${id}: rpc error: code = Unknown desc = update out of sequence`);
    }
    const node = this.node(id);
    this.calls.push(`updateNode ${node.hostname} ${JSON.stringify(change)}`);
    if (change.labels) node.labels = { ...node.labels, ...change.labels };
    if (change.availability) node.availability = change.availability;
    // Draining moves the node's tasks away, as Swarm does.
    if (change.availability === 'drain') this.tasks = this.tasks.filter((t) => t.nodeId !== id);
    this.emit({ type: 'node', action: 'update', id, attributes: {}, timeNano: 0 });
  }

  async removeNode(id: string): Promise<void> {
    const node = this.node(id);
    this.calls.push(`removeNode ${node.hostname}`);
    this.nodes = this.nodes.filter((n) => n.id !== id);
  }

  async listServices(): Promise<SwarmService[]> {
    return structuredClone(this.services);
  }

  async updateService(name: string, change: { replicas?: number }): Promise<void> {
    this.calls.push(`updateService ${name} ${JSON.stringify(change)}`);
    const service = this.services.find((s) => s.name === name || s.id === name);
    if (!service || change.replicas === undefined) return;
    // Fewer replicas: Swarm takes away tasks that do not run before those that do.
    const wanted = this.tasks
      .filter((t) => t.serviceId === service.id && t.desiredState === 'running')
      .sort((a, b) => Number(a.state === 'running') - Number(b.state === 'running'));
    for (const task of wanted.slice(0, Math.max(0, wanted.length - change.replicas)))
      task.desiredState = 'shutdown';
    service.replicas = change.replicas;
  }

  async removeService(name: string): Promise<void> {
    this.calls.push(`removeService ${name}`);
    const service = this.services.find((s) => s.name === name || s.id === name);
    this.services = this.services.filter((s) => s !== service);
    this.tasks = this.tasks.filter((t) => t.serviceId !== service?.id);
  }

  async listTasks(filters: ListFilters = {}): Promise<SwarmTask[]> {
    return this.tasks
      .filter((t) => !filters.node || filters.node.includes(t.nodeId ?? ''))
      .filter((t) => !filters['desired-state'] || filters['desired-state'].includes(t.desiredState))
      .map((t) => structuredClone(t));
  }

  async *events(_filters: EventFilters, signal: AbortSignal): AsyncIterable<EngineEvent> {
    const queue: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    const listener = (event: EngineEvent) => {
      queue.push(event);
      wake?.();
    };
    this.listeners.add(listener);
    const aborted = () => wake?.();
    signal.addEventListener('abort', aborted);
    try {
      while (!signal.aborted) {
        if (queue.length === 0) await new Promise<void>((r) => (wake = r));
        while (queue.length > 0 && !signal.aborted) yield queue.shift()!;
      }
    } finally {
      this.listeners.delete(listener);
      signal.removeEventListener('abort', aborted);
    }
  }

  /** A node joins (or an existing one changes): listeners hear it. */
  join(node: SwarmNode): void {
    this.nodes.push(node);
    this.emit({ type: 'node', action: 'create', id: node.id, attributes: {}, timeNano: 0 });
  }

  emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private node(id: string): SwarmNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw Object.assign(new Error(`node ${id} not found`), { statusCode: 404 });
    return node;
  }
}

function hasLabel(labels: Record<string, string>, filter: string): boolean {
  const [key, value] = filter.split('=');
  return value === undefined ? key! in labels : labels[key!] === value;
}
