/**
 * `micado down`: every local instance, the registry, the manager and the bridge are
 * removed, with their processes, namespaces, links, mounts, cgroups and files. Images
 * pushed to the registry are kept for the next `up` unless `purge` is set. A host's own
 * engine (`manager.engine`) is left running, out of the swarm micado made on it.
 */
import { sweepBuildSandboxes } from './build-sandbox.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudDriver } from '../cloud/cloud-driver.js';
import { messageOf, MicadoError } from '../errors.js';
import { checkHost } from '../host/preflight.js';
import { deleteLink } from '../host/network.js';
import { stopProcess } from '../host/process.js';
import { removeEmptyCgroup } from '../host/cgroup.js';
import { allDrivers } from '../nodes/node-drivers.js';
import { EMULATOR_RECORDS, LocalCloudDriver } from '../cloud/local/local-cloud-driver.js';
import { destroyLocalHost } from '../namespace-host/local-host.js';
import { connectEngine } from '../swarm/index.js';
import type { ClusterLayout } from './cluster-layout.js';
import { readState, removeState, takeLock } from './cluster-state.js';
import { untrustRegistry } from './private-registry.js';

/** A cloud machine down could not stop (its cloud did not answer), and why. */
export interface UnstoppedMachine {
  instance: string;
  cloud: string;
  error: string;
}

export interface DownReport {
  instances: string[];
  /** Machines given up on under `force`: they may still run on their cloud. */
  forgotten: UnstoppedMachine[];
  manager: boolean;
  registry: boolean;
  bridge: boolean;
  purged: boolean;
}

export interface DownOptions {
  purge: boolean;
  /** Forget machines that cannot be stopped instead of keeping the cluster up for them. */
  force: boolean;
  /** Hears each machine forgotten, while the events log is still there. */
  onForget?: (machine: UnstoppedMachine) => Promise<void>;
}

export async function clusterDown(
  layout: ClusterLayout,
  options: DownOptions,
  onPhase?: (phase: string) => void,
): Promise<DownReport> {
  await checkHost();
  const release = takeLock(layout.lockFile);
  try {
    const state = readState(layout.stateFile);
    // The autoscaler first, so it starts no node while they go.
    if (state?.autoscaler) {
      onPhase?.('stopping the micado manager');
      await stopProcess(state.autoscaler, 10_000);
    }
    const report: DownReport = {
      instances: [],
      forgotten: [],
      manager: false,
      registry: false,
      bridge: false,
      purged: false,
    };
    // The swarm goes with its manager, so nodes need no draining: their machines just
    // stop. Cloud machines go first: they cost money, and a failure here stops down
    // before the manager is gone, so nothing is orphaned.
    // Then the machines an emulator left behind (it may be gone): plain local hosts.
    const emulated = new LocalCloudDriver(layout.config, EMULATOR_RECORDS);
    const unstopped: { driver: CloudDriver; machine: UnstoppedMachine }[] = [];
    for (const driver of [...allDrivers(layout.config).reverse(), emulated]) {
      for (const instance of await driver.list()) {
        onPhase?.(`stopping instance ${instance.id} on ${driver.cloud}`);
        try {
          await driver.stop(instance.id);
          report.instances.push(instance.id);
        } catch (err) {
          const machine = { instance: instance.id, cloud: driver.cloud, error: messageOf(err) };
          unstopped.push({ driver, machine });
        }
      }
    }
    if (unstopped.length > 0 && !options.force) {
      const which = unstopped
        .map(({ machine: m }) => `${m.instance} on ${m.cloud} (${m.error})`)
        .join('; ');
      throw new MicadoError(
        'cloud',
        `${unstopped.length} machine(s) could not be stopped and are left running: ${which}; the cluster stays up: try again, or micado down --force to forget them`,
      );
    }
    for (const { driver, machine } of unstopped) {
      driver.forget?.(machine.instance);
      await options.onForget?.(machine);
      report.forgotten.push(machine);
    }
    for (const process of [state?.registry, state?.registryPush]) {
      if (!process) continue;
      onPhase?.('stopping the registry');
      await stopProcess(process, 2_000);
      report.registry = true;
    }
    untrustRegistry(layout);
    if (state?.manager) {
      onPhase?.('stopping the manager');
      await destroyLocalHost(state.manager, layout.config.local.stopGraceMs);
      report.manager = true;
    }
    if (state?.engine) {
      onPhase?.(`taking the host's engine out of the swarm`);
      const engine = connectEngine({ socketPath: layout.managerSocket }, { timeoutMs: 30_000 });
      if ((await engine.info()).swarm.state === 'active') await engine.leaveSwarm(true);
      report.manager = true;
    }
    if (state?.bridge) {
      await deleteLink(layout.config.network.bridge);
      report.bridge = true;
    }
    // A build running now is stopped with the engine it builds on.
    await sweepBuildSandboxes(layout, true);
    removeEmptyCgroup(layout.config.cluster.name);
    const { stateDir } = layout.config;
    for (const dir of [
      'nodes',
      'instances',
      EMULATOR_RECORDS,
      'addresses',
      'cloudbroker',
      'tls',
      'joins',
      'builds',
    ]) {
      rmSync(join(stateDir, dir), { recursive: true, force: true });
    }
    removeState(layout.stateFile);
    if (options.purge) {
      rmSync(stateDir, { recursive: true, force: true });
      report.purged = true;
    }
    return report;
  } finally {
    release();
  }
}
