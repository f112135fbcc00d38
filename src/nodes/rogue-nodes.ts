/**
 * Rogue nodes: workers in the swarm that are no machine of micado's. Anyone holding a
 * join token can join a node and have it advertise any size and claim any instance (a
 * node sets its own engine labels), and Swarm would place tenants' tasks on it. So a
 * node counts as micado's only when the instance it claims (the manager's node label,
 * else its own) is a machine a driver has a record of, or a start is waiting for, and
 * only for one node. Of several claiming one machine, the one at the machine's own
 * address keeps it, then one judged micado's before, then the first by id: the others
 * are rogues. Only Ready nodes are judged: a node that has just joined has not told its
 * labels yet, and one not Ready runs nothing. Pure: which nodes.
 */
import type { SwarmNode } from '../swarm/index.js';
import { NODE_LABEL } from '../swarm/labels.js';

export function rogueNodes(
  workers: SwarmNode[],
  /** The cluster's machines and starts under way: instance -> its address, where known. */
  machines: ReadonlyMap<string, string | undefined>,
  /** Nodes already judged micado's. */
  trusted: ReadonlySet<string>,
): SwarmNode[] {
  const claimOf = (node: SwarmNode) =>
    node.labels[NODE_LABEL.instance] ?? node.engineLabels[NODE_LABEL.instance];
  const atItsAddress = (node: SwarmNode) => {
    const claim = claimOf(node);
    return claim !== undefined && machines.get(claim) === node.address;
  };
  const rank = (node: SwarmNode) => (atItsAddress(node) ? 0 : trusted.has(node.id) ? 1 : 2);
  const claimed = new Set<string>();
  const rogues: SwarmNode[] = [];
  const ready = workers.filter((n) => n.state === 'ready');
  for (const node of ready.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id))) {
    const claim = claimOf(node);
    if (claim === undefined || !machines.has(claim) || claimed.has(claim)) rogues.push(node);
    else claimed.add(claim);
  }
  return rogues;
}
