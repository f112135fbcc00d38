/**
 * A recording cloud for unit tests of the manager, as cluster-autoscaler's test cloud
 * provider: every start and stop is recorded; a started machine joins the fake swarm
 * as a Ready node announcing its instance, as a real machine's boot would.
 */
import {
  nodeLabels,
  type CloudDriver,
  type Instance,
  type InstanceRequest,
} from '../cloud/cloud-driver.js';
import type { Drivers } from '../nodes/node-drivers.js';
import { flavourAmount, resourcesOf } from '../swarm/index.js';
import type { FakeSwarm } from './fake-swarm.js';
import { NODE_LABEL } from '../swarm/labels.js';

export class FakeCloudDriver implements CloudDriver {
  readonly name = 'local';
  readonly cloud = 'local';
  readonly instances = new Map<string, Instance>();
  /** Every call, in order, as "start ID" or "stop ID". */
  readonly calls: string[] = [];
  /** The next N starts fail, as a cloud whose jobs fail would. */
  failStarts = 0;
  /** Machines start but their nodes do not join until `join` is called. */
  holdJoins = false;

  constructor(
    private readonly swarm: FakeSwarm,
    private readonly flavours: Record<string, { cpus: number; memoryMb: number }> = {
      small: { cpus: 1, memoryMb: 512 },
    },
  ) {}

  async start(request: InstanceRequest): Promise<Instance> {
    this.calls.push(`start ${request.id}`);
    if (this.failStarts > 0) {
      this.failStarts--;
      throw new Error(`the cloud refused machine ${request.id}`);
    }
    const instance: Instance = {
      id: request.id,
      driver: this.name,
      cloud: this.cloud,
      pool: request.pool,
      flavour: request.flavour,
      tag: request.tag,
      address: `10.0.0.${this.instances.size + 3}`,
      state: 'running',
      createdAt: new Date(0).toISOString(),
    };
    this.instances.set(request.id, instance);
    // Idempotent by id, as real drivers: a machine already up is not made again.
    const joined = this.swarm.nodes.some((n) => n.engineLabels[NODE_LABEL.instance] === request.id);
    if (!this.holdJoins && !joined) this.join(request);
    return instance;
  }

  /** The machine's node joins the swarm, Ready, announcing its instance. */
  join(request: InstanceRequest): void {
    this.swarm.join({
      id: `node-${request.id}`,
      version: 1,
      hostname: `host-${request.id}`,
      role: 'worker',
      state: 'ready',
      availability: 'active',
      address: this.instances.get(request.id)?.address ?? '',
      engineLabels: nodeLabels(request, this.name),
      labels: {},
      capacity: resourcesOf(flavourAmount(this.flavours[request.flavour]!)),
    });
  }

  async stop(id: string): Promise<void> {
    this.calls.push(`stop ${id}`);
    this.instances.delete(id);
    for (const node of this.swarm.nodes) {
      if (node.engineLabels[NODE_LABEL.instance] === id) node.state = 'down';
    }
  }

  async list(): Promise<Instance[]> {
    return [...this.instances.values()];
  }

  async get(id: string): Promise<Instance | undefined> {
    return this.instances.get(id);
  }

  /** This driver for every place: what the manager resolves drivers through. */
  asDrivers(): Drivers {
    return {
      of: () => this,
      machines: async () =>
        [...this.instances.values()].map((instance) => ({ driver: this, instance })),
    };
  }
}
