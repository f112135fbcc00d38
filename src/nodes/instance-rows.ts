/**
 * `list -i`: every machine of every cloud beside its swarm node, so a job still
 * starting, a node that never joined and a node without a machine all show.
 */
import type { Instance } from '../cloud/cloud-driver.js';
import type { NodeStatus } from './node-status.js';

export interface InstanceRow {
  instance: string;
  cloud: string;
  driver: string;
  pool: string | undefined;
  flavour: string | undefined;
  tag: string | undefined;
  address: string | undefined;
  /** The machine's state, as its cloud says. */
  state: string;
  /** The cloud's own id and word for the machine, and its cost so far, where it has them. */
  cloudId?: string;
  cloudState?: string;
  cost?: { total: number; currency: string | undefined };
  /** The swarm node's state, or '-' when it has not joined. */
  node: string;
  /** worker or proxy, once joined. */
  role: string | undefined;
  hostname: string | undefined;
  availability: string | undefined;
  capacity: { cpuMilli: number; memoryMb: number };
  reserved: { cpuMilli: number; memoryMb: number };
}

const NONE = { cpuMilli: 0, memoryMb: 0 };

export function instanceRows(instances: Instance[], nodes: NodeStatus[]): InstanceRow[] {
  // Every machine's node: workers and proxies (the manager is no instance).
  const workers = nodes.filter((n) => n.role !== 'manager');
  const byInstance = new Map(workers.filter((n) => n.instance).map((n) => [n.instance!, n]));
  const rows: InstanceRow[] = instances.map((i) => {
    const node = byInstance.get(i.id);
    byInstance.delete(i.id);
    return {
      instance: i.id,
      cloud: i.cloud ?? i.driver,
      driver: i.driver,
      pool: i.pool,
      flavour: i.flavour,
      tag: i.tag,
      address: i.address ?? node?.address,
      state: i.state,
      ...(i.cloudId ? { cloudId: i.cloudId } : {}),
      ...(i.cloudState ? { cloudState: i.cloudState } : {}),
      ...(i.cost ? { cost: i.cost } : {}),
      node: node?.state ?? '-',
      role: node?.role,
      hostname: node?.hostname,
      availability: node?.availability,
      capacity: node?.capacity ?? NONE,
      reserved: node?.reserved ?? NONE,
    };
  });
  // Nodes whose machine no driver knows (made by hand, or records lost).
  for (const node of workers.filter((n) => !n.instance || byInstance.has(n.instance))) {
    rows.push({
      instance: node.instance ?? '-',
      cloud: node.cloud ?? '-',
      driver: '-',
      pool: node.pool,
      flavour: node.flavour,
      tag: node.tag,
      address: node.address,
      state: 'unknown',
      node: node.state,
      role: node.role,
      hostname: node.hostname,
      availability: node.availability,
      capacity: node.capacity,
      reserved: node.reserved,
    });
  }
  return rows;
}
