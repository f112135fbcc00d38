/**
 * The private registry every node pulls from: Debian's docker-registry, run beside the
 * manager (inside its namespace when micado made it) and listening on the manager's
 * address only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostError } from '../errors.js';
import { httpStatus } from '../host/http-probe.js';
import { createCgroup } from '../host/cgroup.js';
import { isRunning, spawnDaemon, type ProcessRecord } from '../host/process.js';
import { namespacedArgv } from '../cloud/local/dockerd-command.js';
import type { ClusterLayout } from './cluster-layout.js';

export function registryConfig(storageDir: string, listen: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${listen}`,
    '',
  ].join('\n');
}

export async function startRegistry(
  layout: ClusterLayout,
  timeoutMs: number,
): Promise<ProcessRecord> {
  const dir = layout.registryDir;
  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, registryConfig(join(dir, 'data'), layout.registry), { mode: 0o600 });
  const serve = ['docker-registry', 'serve', configFile];
  const { manager } = layout;
  const argv = manager
    ? namespacedArgv(
        createCgroup(`${manager.cgroup}/registry`),
        manager.namespace,
        manager.namespace,
        serve,
      )
    : serve;
  const process = spawnDaemon(argv, join(dir, 'registry.log'));
  const deadline = Date.now() + timeoutMs;
  while (!(await registryAnswers(layout.registry))) {
    if (!isRunning(process))
      throw hostError(`the registry exited; see ${join(dir, 'registry.log')}`);
    if (Date.now() > deadline)
      throw hostError(`the registry did not answer within ${timeoutMs} ms`);
    await sleep(20);
  }
  return process;
}

/** True when the registry's API answers (reached over micado's bridge). */
export async function registryAnswers(registry: string): Promise<boolean> {
  return (await httpStatus(`http://${registry}/v2/`, { timeoutMs: 1000 })) === 200;
}

/** True when the registry holds `repository:tag`. */
export async function registryHas(
  registry: string,
  repository: string,
  tag: string,
): Promise<boolean> {
  const status = await httpStatus(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    timeoutMs: 1000,
  });
  return status === 200;
}
