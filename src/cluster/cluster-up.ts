/**
 * `micado up`: bridge, manager engine, swarm, registry, base image, each made only if
 * it is not already there. What this run made is undone, newest first, if a later step
 * fails, so a failed `up` leaves the host as it found it. On a host's own engine
 * (`manager.engine`, a VM's) there is no bridge and no engine to make: the swarm, the
 * registry and the manager daemon are made on that host.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { MicadoError, hostError, messageOf } from '../errors.js';
import { conflictingRoutes, createBridge, linkExists } from '../host/network.js';
import { checkHost } from '../host/preflight.js';
import { ensureClusterTls } from '../host/certificates.js';
import { isRunning, stopProcess } from '../host/process.js';
import { removeEmptyCgroup } from '../host/cgroup.js';
import { formatSubnet } from '../host/ipv4.js';
import { deleteLink } from '../host/network.js';
import { connectEngine, type SwarmClient } from '../swarm/index.js';
import {
  destroyLocalHost,
  recoverLocalHost,
  startLocalHost,
  type LocalHostRecord,
} from '../namespace-host/local-host.js';
import { BASE_IMAGE_PATH, type ClusterLayout } from './cluster-layout.js';
import {
  readState,
  removeState,
  takeLock,
  writeState,
  type ClusterState,
} from './cluster-state.js';
import {
  pushName,
  registryPushApi,
  registryServes,
  startRegistry,
  trustRegistry,
  untrustRegistry,
} from './private-registry.js';
import { baseRootfs } from './base-image.js';
import { startManagerProcess } from './manager-process.js';
import { connectManagerEngine } from './manager-engine.js';
import { listenerUrl } from '../host/listener-access.js';
import { NODE_LABEL } from '../swarm/labels.js';

export interface UpStep {
  component:
    'bridge' | 'certificates' | 'manager' | 'swarm' | 'registry' | 'base image' | 'autoscaler';
  outcome: 'made' | 'already up';
  detail: string;
}

export async function clusterUp(
  layout: ClusterLayout,
  onStep?: (step: UpStep) => void,
): Promise<UpStep[]> {
  await checkHost();
  const release = takeLock(layout.lockFile);
  const state: ClusterState = readState(layout.stateFile) ?? {
    bridge: false,
    createdAt: new Date().toISOString(),
  };
  const undo: (() => Promise<void>)[] = [];
  const steps: UpStep[] = [];
  const record = (step: UpStep) => {
    steps.push(step);
    onStep?.(step);
  };
  const save = () => writeState(layout.stateFile, state);
  try {
    if (layout.manager) await ensureBridge(layout, state, save, undo, record);
    await ensureCertificates(layout, record);
    const manager = layout.manager
      ? await ensureManager(layout, layout.manager, state, save, undo, record)
      : await hostEngine(layout, state, save, record);
    await ensureSwarm(layout, manager, record);
    await ensureRegistry(layout, state, save, undo, record);
    await ensureBaseImage(layout, connectManagerEngine(layout), record);
    await ensureAutoscaler(layout, state, save, undo, record);
    return steps;
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    if (
      !state.bridge &&
      !state.manager &&
      !state.engine &&
      !state.registry &&
      !state.registryPush
    ) {
      removeState(layout.stateFile);
    } else save();
    removeEmptyCgroup(layout.config.cluster.name);
    throw err instanceof MicadoError
      ? err
      : hostError(`micado up failed: ${(err as Error).message}`, err);
  } finally {
    release();
  }
}

type Save = () => void;
type Undo = (() => Promise<void>)[];
type Report = (step: UpStep) => void;

async function ensureBridge(
  layout: ClusterLayout,
  state: ClusterState,
  save: Save,
  undo: Undo,
  record: Report,
) {
  const { bridge } = layout.config.network;
  if (await linkExists(bridge)) {
    if (!state.bridge) {
      throw hostError(
        `interface ${bridge} exists and is not micado's: set network.bridge (MICADO_BRIDGE) to a free name`,
      );
    }
    return record({ component: 'bridge', outcome: 'already up', detail: bridge });
  }
  const conflicts = await conflictingRoutes(layout.subnet, bridge);
  if (conflicts.length > 0) {
    throw hostError(
      `subnet ${formatSubnet(layout.subnet)} is already in use on this host (${conflicts[0]}): set network.subnet (MICADO_SUBNET) to a free range`,
    );
  }
  state.bridge = true;
  save();
  undo.push(async () => {
    await deleteLink(bridge);
    state.bridge = false;
  });
  await createBridge(bridge, layout.gatewayCidr);
  record({ component: 'bridge', outcome: 'made', detail: `${bridge} ${layout.gatewayCidr}` });
}

/** The cluster's CA and the manager's client certificate, for node engines over TLS. */
async function ensureCertificates(layout: ClusterLayout, record: Report) {
  const { stateDir, cluster } = layout.config;
  const existed = existsSync(layout.tls.caCert);
  const files = await ensureClusterTls(stateDir, cluster.name);
  record({
    component: 'certificates',
    outcome: existed ? 'already up' : 'made',
    detail: files.dir,
  });
}

async function ensureManager(
  layout: ClusterLayout,
  made: LocalHostRecord,
  state: ClusterState,
  save: Save,
  undo: Undo,
  record: Report,
): Promise<SwarmClient> {
  const engine = connectEngine({ socketPath: layout.managerSocket });
  if (state.manager?.process && isRunning(state.manager.process)) {
    record({
      component: 'manager',
      outcome: 'already up',
      detail: `pid ${state.manager.process.pid}`,
    });
    return engine;
  }
  const previous = state.manager;
  const host = previous ?? { ...made };
  if (previous) {
    // It ran before and died: restarting on its data-root brings the swarm back as it
    // was, so a failure now stops what this run started and keeps the data.
    await recoverLocalHost(previous);
    undo.push(async () => {
      if (host.process) await stopProcess(host.process, layout.config.local.stopGraceMs);
      delete host.process;
    });
  } else {
    state.manager = host;
    save();
    undo.push(async () => {
      await destroyLocalHost(host, layout.config.local.stopGraceMs);
      delete state.manager;
    });
  }
  host.process = await startLocalHost(host, {}, layout.config.local.readyTimeoutMs);
  save();
  record({
    component: 'manager',
    outcome: 'made',
    detail: `${host.address}, pid ${host.process.pid}${previous ? ', restarted on its data' : ''}`,
  });
  return engine;
}

/** The host's own engine (a VM's): it must answer; micado neither starts nor stops it. */
async function hostEngine(
  layout: ClusterLayout,
  state: ClusterState,
  save: Save,
  record: Report,
): Promise<SwarmClient> {
  const { engine: url, advertise } = layout.config.manager;
  const engine = connectEngine({ socketPath: layout.managerSocket }, { timeoutMs: 10_000 });
  const info = await engine.info().catch((err: unknown) => {
    throw hostError(
      `the engine at ${url} does not answer (${messageOf(err)}): start it, or give another --engine`,
    );
  });
  state.engine = { url, advertise };
  save();
  record({
    component: 'manager',
    outcome: 'already up',
    detail: `${url} (the host's engine ${info.serverVersion}), advertised at ${advertise}`,
  });
  return engine;
}

async function ensureSwarm(layout: ClusterLayout, manager: SwarmClient, record: Report) {
  const info = await manager.info();
  if (info.swarm.state === 'active' && !info.swarm.isManager) {
    throw hostError(
      `the engine at ${layout.managerSocket} is a worker of another swarm: leave it (docker swarm leave) or use another engine`,
    );
  }
  if (info.swarm.state === 'active') {
    return record({
      component: 'swarm',
      outcome: 'already up',
      detail: `manager node ${info.swarm.nodeId}`,
    });
  }
  const nodeId = await manager.initSwarm(layout.managerAddress);
  // The manager never runs workloads: it advertises no capacity and is drained.
  await manager.updateNode(nodeId, {
    availability: 'drain',
    labels: { [NODE_LABEL.role]: 'manager' },
  });
  record({ component: 'swarm', outcome: 'made', detail: `manager node ${nodeId}` });
}

async function ensureRegistry(
  layout: ClusterLayout,
  state: ClusterState,
  save: Save,
  undo: Undo,
  record: Report,
) {
  const running = { pull: state.registry, push: state.registryPush };
  if (await registryServes(layout, running)) {
    trustRegistry(layout);
    return record({ component: 'registry', outcome: 'already up', detail: layout.registry });
  }
  for (const process of [state.registry, state.registryPush]) {
    if (process) await stopProcess(process, 2_000);
  }
  const storageExisted = existsSync(layout.registryDir);
  const processes = await startRegistry(layout, layout.config.local.readyTimeoutMs);
  state.registry = processes.pull;
  state.registryPush = processes.push;
  save();
  undo.push(async () => {
    await stopProcess(processes.pull, 2_000);
    await stopProcess(processes.push, 2_000);
    delete state.registry;
    delete state.registryPush;
    untrustRegistry(layout);
    if (!storageExisted) rmSync(layout.registryDir, { recursive: true, force: true });
  });
  record({
    component: 'registry',
    outcome: 'made',
    detail: `${layout.registry} (pull), ${layout.registryPush} (push), pids ${processes.pull.pid} ${processes.push.pid}`,
  });
}

async function ensureAutoscaler(
  layout: ClusterLayout,
  state: ClusterState,
  save: Save,
  undo: Undo,
  record: Report,
) {
  if (state.autoscaler && isRunning(state.autoscaler)) {
    writePidFile(layout, state.autoscaler.pid);
    return record({
      component: 'autoscaler',
      outcome: 'already up',
      detail: `${listenerUrl(layout.config.manager.listen)}, pid ${state.autoscaler.pid}`,
    });
  }
  const process = await startManagerProcess(layout);
  state.autoscaler = process;
  save();
  writePidFile(layout, process.pid);
  undo.push(async () => {
    await stopProcess(process, 5_000);
    delete state.autoscaler;
  });
  record({
    component: 'autoscaler',
    outcome: 'made',
    detail: `${listenerUrl(layout.config.manager.listen)}, pid ${process.pid}`,
  });
}

/** The daemon's pid where a supervisor reads it (systemd's PIDFile), written whole. */
function writePidFile(layout: ClusterLayout, pid: number) {
  const file = layout.config.manager.pidFile;
  if (!file) return;
  writeFileSync(`${file}.${process.pid}`, `${pid}\n`);
  renameSync(`${file}.${process.pid}`, file);
}

async function ensureBaseImage(layout: ClusterLayout, manager: SwarmClient, record: Report) {
  if (await registryPushApi(layout).digest(BASE_IMAGE_PATH, 'latest')) {
    return record({ component: 'base image', outcome: 'already up', detail: layout.baseImage });
  }
  // Made under the name nodes pull it by (what Dockerfiles say FROM), pushed under the
  // registry's read-write address.
  const [repository] = layout.baseImage.split(/:(?=[^:/]+$)/);
  await manager.importImage(baseRootfs(), repository!, 'latest');
  const pushed = pushName(layout, layout.baseImage);
  await manager.tagImage(layout.baseImage, pushed.replace(/:latest$/, ''), 'latest');
  await manager.pushImage(pushed).catch((err: unknown) => {
    // A host's own engine must be told to trust the cluster's CA, as every node's is.
    if (
      /certificate signed by unknown authority|HTTP response to HTTPS client/.test(messageOf(err))
    ) {
      throw hostError(
        `the manager's engine does not trust the registry ${layout.registryPush}: ${layout.tls.caCert} must be in /etc/docker/certs.d/${layout.registryPush}/ca.crt (micado up writes it; check the engine reads /etc/docker)`,
      );
    }
    throw err;
  });
  record({ component: 'base image', outcome: 'made', detail: layout.baseImage });
}
