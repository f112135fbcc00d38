/**
 * The private registry every node pulls from: Debian's docker-registry, run beside the
 * manager (inside its namespace when micado made it), over TLS from the cluster's CA
 * and with htpasswd accounts. Two processes share one storage:
 *
 * - on `registry.port`, read-only, for the `pull` account: what nodes reach;
 * - on the next port, read-write with deletes, for the `push` account: the manager's.
 *
 * So a node, or anyone holding what a node holds, can never replace or delete an image;
 * and services name images by digest, so a push changes no running service.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostError } from '../errors.js';
import { issueServerCertificate } from '../host/certificates.js';
import { createCgroup } from '../host/cgroup.js';
import { isRunning, spawnDaemon, stopProcess, type ProcessRecord } from '../host/process.js';
import { namespacedArgv } from '../namespace-host/dockerd-command.js';
import type { ClusterLayout } from './cluster-layout.js';
import {
  ensureRegistryAccounts,
  htpasswdLine,
  readRegistryAccounts,
  type RegistryAccount,
} from './registry-accounts.js';
import { RegistryApi } from './registry-api.js';

/** Where engines look for the CA of a registry they reach at host:port. */
export const ENGINE_CERTS_DIR = '/etc/docker/certs.d';

export interface RegistryProcesses {
  /** Read-only, on `layout.registry`. */
  pull: ProcessRecord;
  /** Read-write, on `layout.registryPush`. */
  push: ProcessRecord;
}

interface RegistryInstance {
  listen: string;
  storage: string;
  tls: { cert: string; key: string };
  htpasswd: string;
  readOnly: boolean;
}

export function registryConfig(instance: RegistryInstance): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${instance.storage}`,
    // No descriptor cache: the reader must see what the writer pushed or deleted.
    ...(instance.readOnly
      ? ['  maintenance:', '    readonly:', '      enabled: true']
      : ['  delete:', '    enabled: true']),
    'auth:',
    '  htpasswd:',
    '    realm: micado',
    `    path: ${instance.htpasswd}`,
    'http:',
    `  addr: ${instance.listen}`,
    '  tls:',
    `    certificate: ${instance.tls.cert}`,
    `    key: ${instance.tls.key}`,
    '',
  ].join('\n');
}

/**
 * Start both processes; resolves when both answer their account. The server
 * certificate is issued anew from the cluster's CA (made anew at each `up` after a
 * `down`), and the engines on this host are told to trust that CA for both addresses.
 */
export async function startRegistry(
  layout: ClusterLayout,
  timeoutMs: number,
): Promise<RegistryProcesses> {
  const dir = layout.registryDir;
  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });
  const accounts = ensureRegistryAccounts(dir);
  const tls = await issueServerCertificate(
    layout.tls,
    `micado ${layout.config.cluster.name} registry`,
    [layout.managerAddress],
    join(dir, 'tls'),
  );
  trustRegistry(layout);
  const started: ProcessRecord[] = [];
  try {
    const start = (role: 'pull' | 'push', listen: string) => {
      const htpasswd = join(dir, `htpasswd-${role}`);
      writeFileSync(htpasswd, htpasswdLine(accounts[role]), { mode: 0o600 });
      const config = join(dir, `${role}.yml`);
      const instance = { listen, storage: join(dir, 'data'), tls, htpasswd, readOnly: role === 'pull' }; // prettier-ignore
      writeFileSync(config, registryConfig(instance), { mode: 0o600 });
      const process = spawnDaemon(namespaced(layout, role, ['docker-registry', 'serve', config]), join(dir, `${role}.log`)); // prettier-ignore
      started.push(process);
      return process;
    };
    const processes = { pull: start('pull', layout.registry), push: start('push', layout.registryPush) }; // prettier-ignore
    const deadline = Date.now() + timeoutMs;
    for (const [role, api] of [
      ['pull', registryPullApi(layout)],
      ['push', registryPushApi(layout)],
    ] as const) {
      // prettier-ignore
      while (!(await api.answers())) {
        if (!isRunning(processes[role]))
          throw hostError(`the registry (${role}) exited; see ${join(dir, `${role}.log`)}`);
        if (Date.now() > deadline)
          throw hostError(`the registry (${role}) did not answer within ${timeoutMs} ms`);
        await sleep(20);
      }
    }
    return processes;
  } catch (err) {
    for (const process of started) await stopProcess(process, 2_000);
    throw err;
  }
}

/** On micado's own manager, inside its namespace and a cgroup of the registry's. */
function namespaced(layout: ClusterLayout, role: string, argv: string[]): string[] {
  const { manager } = layout;
  if (!manager) return argv;
  const cgroup = createCgroup(`${manager.cgroup}/registry-${role}`);
  return namespacedArgv(cgroup, manager.namespace, manager.namespace, argv);
}

/**
 * The engines of this host (the manager's, local nodes') trust the cluster's CA for the
 * registry's two addresses, as Docker documents it: certs.d, never insecure-registries.
 */
export function trustRegistry(layout: ClusterLayout): void {
  const ca = readFileSync(layout.tls.caCert);
  for (const address of [layout.registry, layout.registryPush]) {
    const dir = join(ENGINE_CERTS_DIR, address);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'ca.crt'), ca, { mode: 0o644 });
  }
}

export function untrustRegistry(layout: ClusterLayout): void {
  for (const address of [layout.registry, layout.registryPush]) {
    rmSync(join(ENGINE_CERTS_DIR, address), { recursive: true, force: true });
  }
}

/** The registry as the manager asks it: the read-write side, with the push account. */
export function registryPushApi(layout: ClusterLayout): RegistryApi {
  const ca = readFileSync(layout.tls.caCert, 'utf8');
  const account = readRegistryAccounts(layout.registryDir).push;
  return new RegistryApi({ address: layout.registryPush, ca, account });
}

/** The registry as nodes see it: read-only, with the pull account. */
export function registryPullApi(layout: ClusterLayout): RegistryApi {
  const ca = readFileSync(layout.tls.caCert, 'utf8');
  const account = readRegistryAccounts(layout.registryDir).pull;
  return new RegistryApi({ address: layout.registry, ca, account });
}

/** The account an engine presents to each of the registry's addresses. */
export function registryAuths(layout: ClusterLayout): Record<string, RegistryAccount> {
  const accounts = readRegistryAccounts(layout.registryDir);
  return { [layout.registry]: accounts.pull, [layout.registryPush]: accounts.push };
}

/** The name an image is pushed under (the read-write address) for one nodes pull. */
export function pushName(layout: ClusterLayout, image: string): string {
  return image.startsWith(`${layout.registry}/`)
    ? `${layout.registryPush}${image.slice(layout.registry.length)}`
    : image;
}

/** True when both of the registry's processes run and answer their accounts. */
export async function registryServes(
  layout: ClusterLayout,
  processes: Partial<RegistryProcesses>,
): Promise<boolean> {
  const { pull, push } = processes;
  if (!pull || !push || !isRunning(pull) || !isRunning(push)) return false;
  const answers = await Promise.all([registryPullApi(layout).answers(), registryPushApi(layout).answers()]).catch(() => [false]); // prettier-ignore
  return answers.every(Boolean);
}

/** The registry as a launch asks it: images named after the pull address, read on the push side. */
export function imageRegistry(layout: ClusterLayout): RegistryApi & { address: string } {
  return Object.assign(registryPushApi(layout), { address: layout.registry });
}
