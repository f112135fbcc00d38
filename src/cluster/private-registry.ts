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
import { namespacedArgv } from '../namespace-host/dockerd-command.js';
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

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/** A manifest, or a list of them (an index) for several platforms. */
interface ManifestJson {
  config?: { digest?: string };
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
}

/** An image's configuration blob, as far as micado reads it. */
interface ImageConfigJson {
  config?: { ExposedPorts?: Record<string, unknown> };
}

/**
 * The TCP ports the image `repository:tag` declares it listens on (its EXPOSE lines),
 * lowest first; undefined when the registry does not hold it. Of a multi-platform
 * image, the linux/amd64 one's (or the first's).
 */
export async function registryExposedPorts(
  registry: string,
  repository: string,
  tag: string,
): Promise<number[] | undefined> {
  const base = `http://${registry}/v2/${repository}`;
  const get = async <T>(path: string, accept?: string): Promise<T | undefined> => {
    const answer = await fetch(`${base}${path}`, {
      headers: accept ? { Accept: accept } : {},
      signal: AbortSignal.timeout(5_000),
    });
    if (answer.status === 404) return undefined;
    if (!answer.ok) throw new Error(`the registry answered ${answer.status} for ${repository}`);
    return (await answer.json()) as T;
  };
  let manifest = await get<ManifestJson>(`/manifests/${tag}`, MANIFEST_TYPES);
  if (manifest?.manifests) {
    const entries = manifest.manifests;
    const chosen =
      entries.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ??
      entries[0];
    manifest = chosen
      ? await get<ManifestJson>(`/manifests/${chosen.digest}`, MANIFEST_TYPES)
      : undefined;
  }
  const digest = manifest?.config?.digest;
  if (!digest) return undefined;
  const image = await get<ImageConfigJson>(`/blobs/${digest}`);
  const exposed = Object.keys(image?.config?.ExposedPorts ?? {});
  return exposed
    .map((key) => /^(\d+)(?:\/tcp)?$/.exec(key)?.[1])
    .filter((port): port is string => port !== undefined)
    .map(Number)
    .filter((port) => port >= 1 && port <= 65_535)
    .sort((a, b) => a - b);
}

/** The repositories the registry holds. */
export async function registryRepositories(registry: string): Promise<string[]> {
  const repositories: string[] = [];
  // A page at a time, as the registry's Link header leads.
  for (let path: string | undefined = '/v2/_catalog?n=1000'; path;) {
    const answer = await fetch(`http://${registry}${path}`, { signal: AbortSignal.timeout(5_000) });
    if (!answer.ok) throw new Error(`the registry's catalog answered ${answer.status}`);
    repositories.push(
      ...(((await answer.json()) as { repositories?: string[] }).repositories ?? []),
    );
    path = /<([^>]+)>;\s*rel="next"/.exec(answer.headers.get('link') ?? '')?.[1];
  }
  return repositories;
}

/**
 * Delete every tag of `repository` (its manifests; the registry's own garbage
 * collection frees the layers). Resolves with the tags deleted.
 */
export async function deleteRepository(registry: string, repository: string): Promise<string[]> {
  const base = `http://${registry}/v2/${repository}`;
  const list = await fetch(`${base}/tags/list`, { signal: AbortSignal.timeout(5_000) });
  if (!list.ok) return [];
  const tags = ((await list.json()) as { tags?: string[] | null }).tags ?? [];
  const deleted: string[] = [];
  for (const tag of tags) {
    const head = await fetch(`${base}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: MANIFEST_TYPES }, signal: AbortSignal.timeout(5_000) }); // prettier-ignore
    const digest = head.headers.get('docker-content-digest');
    if (!head.ok || !digest) continue;
    const gone = await fetch(`${base}/manifests/${digest}`, { method: 'DELETE', signal: AbortSignal.timeout(5_000) }); // prettier-ignore
    if (gone.ok || gone.status === 404) deleted.push(tag);
  }
  return deleted;
}
