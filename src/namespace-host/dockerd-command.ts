/**
 * The command lines that start a dockerd of a local host. Pure, so their shape is
 * unit-tested; local-host.ts runs them.
 */
import { flavourAmount, resourcesOf, type Resources } from '../swarm/index.js';

export interface DockerdOptions {
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  socket: string;
  /** Where this daemon's containers' cgroups go, so a stop can find every one. */
  cgroupParent: string;
  /** Capacity advertised to Swarm as generic resources. */
  capacity?: Resources;
  /** Engine labels (--label), how a node announces its instance, pool, flavour, tag. */
  labels?: Record<string, string>;
  /**
   * Give containers a bridge (docker0, inside the node's own namespace) so ports can be
   * published on the node. Workers need it; the manager runs no containers.
   */
  containerBridge?: boolean;
}

/** The port a node's engine listens on, TLS only (Docker's convention; execute.sh). */
export const ENGINE_TLS_PORT = 2376;

export function dockerdArgv(options: DockerdOptions): string[] {
  const argv = [
    'dockerd',
    '--data-root', options.dataRoot,
    '--exec-root', options.execRoot,
    '--pidfile', options.pidFile,
    '--host', `unix://${options.socket}`,
    '--cgroup-parent', options.cgroupParent,
    // A node's namespace has no route out and needs no NAT or firewall rules. Published
    // ports use host mode through docker-proxy: this kernel has no IPVS for Swarm's
    // ingress mesh, and iptables rules are not needed for it.
    '--iptables=false',
    '--ip-masq=false',
    '--ip-forward=false',
    // Drained nodes have nothing left to stop; a long wait only delays giving them back.
    '--shutdown-timeout', '5',
    '--log-level', 'warn',
  ]; // prettier-ignore
  if (!options.containerBridge) argv.push('--bridge', 'none');
  for (const [kind, value] of Object.entries(options.capacity ?? {})) {
    argv.push('--node-generic-resource', `${kind}=${value}`);
  }
  for (const [key, value] of Object.entries(options.labels ?? {})) {
    argv.push('--label', `${key}=${value}`);
  }
  return argv;
}

/**
 * Wrap a daemon's argv so that it starts inside micado's cgroup, the host's network
 * namespace and a UTS namespace of its own (its hostname names the node in the swarm).
 * Every step execs, so the pid we spawn is the daemon's pid.
 *
 * `ip netns exec` is not used: it remounts /sys, and dockerd then fails with
 * "Devices cgroup isn't mounted".
 */
export function namespacedArgv(
  cgroupProcsFile: string,
  namespace: string,
  hostname: string,
  argv: string[],
): string[] {
  const script =
    'echo $$ > "$0" || exit 1; ns=$1; host=$2; shift 2; ' +
    `exec nsenter --net="$ns" -- unshare --uts -- sh -c 'hostname "$0" && exec "$@"' "$host" "$@"`;
  return ['sh', '-c', script, cgroupProcsFile, `/var/run/netns/${namespace}`, hostname, ...argv];
}

/** Capacity of a flavour as the generic resources micado schedules with. */
export function flavourCapacity(flavour: { cpus: number; memoryMb: number }): Resources {
  return resourcesOf(flavourAmount(flavour));
}
