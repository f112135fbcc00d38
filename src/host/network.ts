/**
 * The links and namespaces of a local cluster, through iproute2 (the kernel's netlink
 * has no Node API). Commands are built by pure functions and sent as `ip -batch`, one
 * process per step, which keeps a node's plumbing to a few milliseconds.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './run-command.js';
import { parseSubnet, overlaps, type Subnet } from './ipv4.js';

/** How a namespace is wired: a veth whose host end sits on the bridge. */
export interface NamespaceLink {
  namespace: string;
  hostVeth: string;
  bridge: string;
  /** Address inside the namespace, with its prefix length. */
  address: string;
  prefix: number;
}

/** Where iproute2 keeps named namespaces (its NETNS_RUN_DIR). */
const NETNS_RUN_DIR = '/run/netns';

/** The interface name a namespace sees. */
export const NAMESPACE_INTERFACE = 'eth0';

export function bridgeCommands(bridge: string, gatewayCidr: string): string[] {
  return [
    `link add ${bridge} type bridge`,
    `addr add ${gatewayCidr} dev ${bridge}`,
    `link set ${bridge} up`,
  ];
}

export function hostSideCommands(link: NamespaceLink): string[] {
  return [
    `netns add ${link.namespace}`,
    `link add ${link.hostVeth} type veth peer name ${NAMESPACE_INTERFACE} netns ${link.namespace}`,
    `link set ${link.hostVeth} master ${link.bridge}`,
    `link set ${link.hostVeth} up`,
  ];
}

/** Inside the namespace: its address and loopback. No default route: nothing leaves the subnet. */
export function namespaceSideCommands(link: NamespaceLink): string[] {
  return [
    `addr add ${link.address}/${link.prefix} dev ${NAMESPACE_INTERFACE}`,
    `link set ${NAMESPACE_INTERFACE} up`,
    'link set lo up',
  ];
}

const ipBatch = (lines: string[], namespace?: string) =>
  runCommand(namespace ? ['ip', '-n', namespace, '-batch', '-'] : ['ip', '-batch', '-'], {
    input: lines.join('\n') + '\n',
  });

export async function createBridge(bridge: string, gatewayCidr: string): Promise<void> {
  await ipBatch(bridgeCommands(bridge, gatewayCidr));
}

export async function createNamespace(link: NamespaceLink): Promise<void> {
  await ipBatch(hostSideCommands(link));
  await ipBatch(namespaceSideCommands(link), link.namespace);
}

/** Delete the namespace; its veth pair goes with it. Absent is fine. */
export async function deleteNamespace(namespace: string): Promise<void> {
  if (!(await namespaceExists(namespace))) return;
  await runCommand(['ip', 'netns', 'delete', namespace]);
}

/**
 * Delete a link (the bridge, or a veth left behind by a crash). Absent is fine, and so
 * is a link that vanishes meanwhile: a veth whose peer's namespace was just deleted
 * goes away asynchronously.
 */
export async function deleteLink(name: string): Promise<void> {
  if (!(await linkExists(name))) return;
  try {
    await runCommand(['ip', 'link', 'delete', name]);
  } catch (err) {
    if (await linkExists(name)) throw err;
  }
}

export async function linkExists(name: string): Promise<boolean> {
  const { stdout } = await runCommand(['ip', '-j', 'link', 'show']);
  return (JSON.parse(stdout) as { ifname: string }[]).some((l) => l.ifname === name);
}

/**
 * Whether iproute2 holds a namespace of that name: its bind mount in the run directory,
 * looked at directly (an `ip netns list` is a process on a node's boot path).
 */
export async function namespaceExists(namespace: string): Promise<boolean> {
  return existsSync(join(NETNS_RUN_DIR, namespace));
}

export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await runCommand(['ip', '-j', 'netns', 'list']);
  if (!stdout.trim()) return [];
  return (JSON.parse(stdout) as { name: string }[]).map((n) => n.name);
}

/** Routes on the host that overlap `subnet`, other than through `ownBridge`. */
export async function conflictingRoutes(subnet: Subnet, ownBridge: string): Promise<string[]> {
  const { stdout } = await runCommand(['ip', '-j', '-4', 'route', 'show', 'table', 'all']);
  const routes = JSON.parse(stdout) as { dst: string; dev?: string; type?: string }[];
  return routes
    .filter((r) => r.dev !== ownBridge && r.dst !== 'default' && r.type !== 'broadcast')
    .filter((r) => {
      const dst = parseSubnet(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
      return dst !== undefined && dst.prefix > 0 && overlaps(dst, subnet);
    })
    .map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`);
}
