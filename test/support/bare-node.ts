/**
 * A node made with the bare steps only (namespace, dockerd, swarm join, Ready seen by
 * polling): no records, events or labels of micado's. The baseline micado's own steps
 * are set against in bench/, and a rogue node in the perimeter tests (`labels`: what it
 * claims to be); whoever makes one removes it (destroyLocalHost).
 */
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestCluster } from './test-cluster.js';
import { createNamespace } from '../../src/host/network.js';
import { createCgroup } from '../../src/host/cgroup.js';
import { spawnDaemon } from '../../src/host/process.js';
import {
  dockerdArgv,
  flavourCapacity,
  namespacedArgv,
} from '../../src/namespace-host/dockerd-command.js';
import type { LocalHostRecord } from '../../src/namespace-host/local-host.js';
import { vethName } from '../../src/namespace-host/local-host.js';
import { addressAt } from '../../src/host/ipv4.js';
import { connectEngine } from '../../src/swarm/index.js';

/** A host made with the bare steps; returns its record for cleanup. */
export async function bareNode(
  cluster: TestCluster,
  index: number,
  join_: { token: string },
  made: LocalHostRecord[],
  name = `bare${index}${randomBytes(2).toString('hex')}`,
  labels: Record<string, string> = {},
  /** Wait until the swarm sees it Ready (a rogue may be removed before it is seen). */
  waitReady = true,
  /** More dockerd arguments (a bench's plain-HTTP registry to trust). */
  engineArgs: string[] = [],
): Promise<LocalHostRecord> {
  const { config, layout } = cluster;
  const host: LocalHostRecord = {
    namespace: `${config.cluster.name}-${name}`,
    hostVeth: vethName(config.cluster.name, name),
    bridge: config.network.bridge,
    address: addressAt(layout.subnet, 200 + index),
    prefix: layout.subnet.prefix,
    dir: join(config.stateDir, 'bare', name),
    cgroup: `${config.cluster.name}/${name}`,
  };
  made.push(host);
  await createNamespace(host);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(host.dir, { recursive: true });
  const socket = join(host.dir, 'docker.sock');
  const argv = dockerdArgv({
    dataRoot: join(host.dir, 'data'),
    execRoot: join(host.dir, 'run'),
    pidFile: join(host.dir, 'dockerd.pid'),
    socket,
    cgroupParent: `/${host.cgroup}/containers`,
    capacity: flavourCapacity({ cpus: 1, memoryMb: 512 }),
    labels: { ...labels, bare: name },
    // As micado's nodes: it pulls from the private registry and can run containers.
    containerBridge: true,
  });
  host.process = spawnDaemon(
    namespacedArgv(createCgroup(`${host.cgroup}/daemon`), host.namespace, host.namespace, [...argv, ...engineArgs]), // prettier-ignore
    join(host.dir, 'log'),
  );
  const engine = connectEngine({ socketPath: socket });
  for (;;) {
    try {
      await engine.ping();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  await engine.joinSwarm(layout.swarmAddress, join_.token, host.address);
  if (!waitReady) return host;
  const manager = cluster.manager();
  while (!(await manager.listNodes({ label: [`bare=${name}`] })).some((n) => n.state === 'ready')) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return host;
}
