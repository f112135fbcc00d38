/**
 * A launch's ownership and quota checks at scale, as the CLI makes them: a store of
 * 1,000 clients owning 1,000 domains, and a swarm of 10,000 containers, listed as the
 * engine lists them (its JSON parsed and mapped: the list's own cost). Side by side in
 * one run, alternating:
 * - with the checks: `launchContainer` whole (the launch lock, the store opened, the
 *   client's record read, the name, image, domain and quota checks, the domain
 *   claimed), the engine's calls
 *   answered from the list;
 * - without: the same list, the registry's digest and the service's spec, made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchContainer, type ImageRegistry } from '../src/containers/container-operations.js';
import { containerServiceSpec, type LaunchRequest } from '../src/containers/container-spec.js';
import { clientUsage, quotaProblem } from '../src/clients/client-quota.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { withLock } from '../src/host/file-lock.js';
import { serviceBody, toService } from '../src/swarm/engine-mapping.js';
import type { ServiceSpec, SwarmClient, SwarmService } from '../src/swarm/index.js';
import { median, ms, timed } from './measure.js';
import { TestCluster } from '../test/support/test-cluster.js';
import { tarball } from '../test/support/tarball.js';
import { buildContext } from '../src/containers/build-context.js';
import { inBuildSandbox } from '../src/cluster/build-sandbox.js';
import { pushName } from '../src/cluster/private-registry.js';

const REGISTRY = '10.232.0.2:5000';
const LIMITS = { containers: 20, replicas: 50, cpuMilli: 8000, memoryMb: 16_384 };

export async function benchTenants(): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'micado-bench-tenants-'));
  try {
    const storeFile = join(dir, 'micado.db');
    const store = SqliteStore.open(storeFile);
    for (let i = 0; i < 1000; i++) {
      await store.putClient({ name: `c${i}`, domain: undefined, membership: undefined, limits: LIMITS, createdAt: 0, updatedAt: 0 }); // prettier-ignore
      await store.claimDomain(`d${i}.example`, `c${i}`);
    }
    await store.close();
    // The engine's answer to a service list: 10,000 containers, ten per client, the
    // first of each on its client's domain.
    const request = (i: number, client: string): LaunchRequest => ({
      name: i % 10 === 0 ? `container-${client}` : `container-${client}-app${i % 10}`,
      client, image: { given: 'container-app', name: `${REGISTRY}/container-app:latest@sha256:${'0'.repeat(64)}` }, // prettier-ignore
      ...(i % 10 === 0 ? { domain: `${client.replace('c', 'd')}.example`, containerPort: 80 } : {}),
      environment: [], cpuMilli: 100, memoryMb: 64, replicas: 1,
    }); // prettier-ignore
    const raw = JSON.stringify(
      Array.from({ length: 10_000 }, (_, i) => ({
        ID: `s${i}`, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '',
        Spec: serviceBody(containerServiceSpec(request(i, `c${Math.floor(i / 10)}`))),
      })), // prettier-ignore
    );
    const list = async (): Promise<SwarmService[]> => (JSON.parse(raw) as unknown[]).map(toService);
    let made: ServiceSpec | undefined;
    const engine = {
      listServices: list,
      ensureOverlayNetwork: async () => undefined,
      createService: async (spec: ServiceSpec) => {
        made = spec;
        return 'id';
      },
    } as unknown as SwarmClient;
    const registry: ImageRegistry = {
      address: REGISTRY,
      // The client has no image of its own by the name: the shared one is found second.
      digest: async (repository) => (repository.includes('/') ? undefined : `sha256:${'1'.repeat(64)}`), // prettier-ignore
      exposedPorts: async () => [80],
    };
    const lock = join(dir, 'launch.lock');
    const withChecks: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < 40; i++) {
      // A new container of an existing client, on a new domain of its own.
      const client = `c${(i * 37) % 1000}`;
      const asked = { client, image: { given: 'container-app', name: `${REGISTRY}/container-app:latest` }, domain: `new${i}.example`, environment: [], cpuMilli: 100, memoryMb: 64, replicas: 1 }; // prettier-ignore
      const checked = async () => {
        const began = performance.now();
        await withLock(lock, 10_000, async () => {
          const opened = SqliteStore.open(storeFile);
          const record = (await opened.client(client))!;
          const quota = (services: SwarmService[]) =>
            quotaProblem(client, record.limits, clientUsage(services, client), { containers: 1, replicas: 1, each: { cpuMilli: 100, memoryMb: 64 } }); // prettier-ignore
          await launchContainer(engine, registry, asked, quota, opened).finally(() => opened.close()); // prettier-ignore
        });
        withChecks.push(performance.now() - began);
        if (made?.name !== `container-${client}-app`) throw new Error(`launched ${made?.name}`);
      };
      const plain = async () => {
        const began = performance.now();
        const [, digest] = await Promise.all([list(), registry.digest('container-app', 'latest')]);
        await engine.createService(containerServiceSpec({ ...asked, name: `container-${client}-app`, image: { ...asked.image, name: `${asked.image.name}@${digest}` }, containerPort: 80 })); // prettier-ignore
        without.push(performance.now() - began);
      };
      // Each goes first every other time: the garbage one leaves is not always the other's.
      if (i % 2 === 0) await checked().then(plain);
      else await plain().then(checked);
    }
    const ratio = median(withChecks) / median(without);
    return [
      ['launch with ownership and quota checks: 1,000 clients, 10,000 containers (median of 40)', ms(median(withChecks)), `with/without = ${ratio.toFixed(3)} (goal <= 1.1)`], // prettier-ignore
      ['  the same launch without them (list, digest, spec)', ms(median(without)), ''],
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A build in its sandbox (an engine made and removed for it) next to the same build on
 * the manager's engine, alternating, on a real cluster: what the bound costs.
 */
export async function benchBuilds(): Promise<string[][]> {
  const cluster = new TestCluster();
  const work = mkdtempSync(join(tmpdir(), 'micado-bench-builds-'));
  try {
    const up = await cluster.micado('up');
    if (up.code !== 0) throw new Error(up.stderr);
    const layout = cluster.layout;
    const file = await tarball(work, 'app.tar', [{ name: 'container-app/Dockerfile', content: `FROM ${layout.baseImage}\nRUN echo built > /built\n` }]); // prettier-ignore
    const buildAndPush = async (engine: SwarmClient, i: number) => {
      const image = `${layout.registry}/container-app${i}:latest`;
      await engine.buildImage(buildContext(file, 'container-app'), image);
      const pushed = pushName(layout, image);
      await engine.tagImage(image, pushed.replace(/:latest$/, ''), 'latest');
      await engine.pushImage(pushed);
    };
    const manager = cluster.manager();
    const sandboxed: number[] = [];
    const onManager: number[] = [];
    for (let i = 0; i < 5; i++) {
      sandboxed.push(await timed(() => inBuildSandbox(layout, cluster.config.build, (engine) => buildAndPush(engine, i)))); // prettier-ignore
      onManager.push(await timed(() => buildAndPush(manager, 100 + i)));
    }
    return [
      ['build + push in a sandbox of its own (median of 5)', ms(median(sandboxed)), `sandbox/manager engine = ${(median(sandboxed) / median(onManager)).toFixed(2)}`], // prettier-ignore
      ['  the same on the manager engine (no bound)', ms(median(onManager)), ''],
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
    await cluster.destroy();
  }
}
