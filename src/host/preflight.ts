/**
 * What a local cluster needs of the host, checked before anything is made, so a
 * missing piece is one clear line and not a half-built cluster.
 */
import { existsSync } from 'node:fs';
import { hostError } from '../errors.js';
import { hasProgram } from './run-command.js';

/** Programs and the Debian package that ships each. */
const PROGRAMS: [string, string][] = [
  ['ip', 'iproute2'],
  ['nsenter', 'util-linux'],
  ['unshare', 'util-linux'],
  ['umount', 'mount'],
  // A build's sandbox: its file system, loop-mounted.
  ['mkfs.ext4', 'e2fsprogs'],
  ['mount', 'mount'],
  // A node keeps its containers apart on its bridges (execute.sh).
  ['iptables', 'iptables'],
  ['dockerd', 'docker.io'],
  ['containerd', 'containerd'],
  ['docker-registry', 'docker-registry'],
];

export async function checkHost(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw hostError('micado must run as root to make namespaces and daemons: run it with sudo');
  }
  const missing: string[] = [];
  for (const [program, pkg] of PROGRAMS) {
    if (!(await hasProgram(program))) missing.push(pkg);
  }
  if (!existsSync('/bin/busybox')) missing.push('busybox-static');
  if (missing.length > 0) {
    const packages = [...new Set(missing)].join(' ');
    throw hostError(
      `missing host packages: ${packages}: run scripts/setup-host.sh (or apt-get install ${packages})`,
    );
  }
  if (!existsSync('/proc/self/ns/net') || !existsSync('/proc/self/ns/uts')) {
    throw hostError('the kernel lacks network or UTS namespaces (CONFIG_NET_NS, CONFIG_UTS_NS)');
  }
  if (
    !existsSync('/sys/fs/cgroup/cgroup.controllers') &&
    !existsSync('/sys/fs/cgroup/pids/cgroup.procs')
  ) {
    throw hostError(
      'no cgroup hierarchy to track daemons in: mount cgroup2 or the v1 pids controller',
    );
  }
}
