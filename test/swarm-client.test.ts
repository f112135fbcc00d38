/** The SwarmClient against real engines: a manager and one worker of a local cluster. */
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { clusterTlsFiles, ensureClusterTls, managerTls } from '../src/host/certificates.js';
import { pushName } from '../src/cluster/private-registry.js';
import { connectEngine, type SwarmClient } from '../src/swarm/index.js';
import { TestCluster, eventually } from './support/test-cluster.js';

function buildContext(files: Record<string, string>): Readable {
  const tar = pack();
  for (const [name, content] of Object.entries(files)) tar.entry({ name }, content);
  tar.finalize();
  return Readable.from(tar);
}

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

describe('SwarmClient', () => {
  const cluster = new TestCluster();
  let manager: SwarmClient;
  let worker: SwarmClient;
  let instanceId: string;
  let instanceAddress: string;

  beforeAll(async () => {
    expect((await cluster.micado('up')).code).toBe(0);
    const start = await cluster.micado('start', '-f', 'small', '-t', 'w1', '--json');
    expect(start.code, start.stderr).toBe(0);
    instanceId = JSON.parse(start.stdout).instance.id;
    instanceAddress = JSON.parse(start.stdout).instance.address;
    manager = cluster.manager();
    worker = connectEngine({
      socketPath: join(cluster.config.stateDir, 'nodes', instanceId, 'docker.sock'),
    });
  });

  afterAll(async () => {
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('reports engine identity and swarm roles', async () => {
    const info = await manager.info();
    expect(info.swarm).toMatchObject({ state: 'active', isManager: true });
    const workerInfo = await worker.info();
    expect(workerInfo.swarm).toMatchObject({ state: 'active', isManager: false });
    expect(workerInfo.hostname).toBe(`${cluster.config.cluster.name}-${instanceId}`);
  });

  it('builds, pushes, and runs the image on a worker that pulls it from the private registry', async () => {
    const image = `${cluster.layout.registry}/test/hello:1`;
    const progress: string[] = [];
    await manager.buildImage(
      buildContext({
        Dockerfile: `FROM ${cluster.layout.baseImage}\nCOPY hello.txt /hello.txt\nCMD ["sh", "-c", "cat /hello.txt; sleep 600"]\n`,
        'hello.txt': 'hello from the registry\n',
      }),
      image,
      (p) => p.stream && progress.push(p.stream),
    );
    expect(progress.join('')).toMatch(/Successfully tagged/);
    // The address nodes pull from is read-only: a push goes to the manager's side.
    await expect(manager.pushImage(image)).rejects.toThrow(/405|not allowed/i);
    const pushed = pushName(cluster.layout, image);
    await manager.tagImage(image, pushed.replace(/:1$/, ''), '1');
    await manager.pushImage(pushed);
    expect(await worker.hasImage(image)).toBe(false);

    const events = new AbortController();
    const seen: string[] = [];
    const listening = (async () => {
      for await (const event of manager.events({ type: ['service'] }, events.signal)) {
        seen.push(`${event.action} ${event.attributes.name}`);
        if (seen.includes('create hello')) break;
      }
    })();
    await manager.createService({ name: 'hello', image, reservations: { 'micado.mem_mb': 64 } });
    const task = await eventually(
      async () =>
        (await manager.listTasks({ service: ['hello'] })).find((t) => t.state === 'running'),
      60_000,
    );
    await listening;
    events.abort();
    expect(seen).toContain('create hello');
    expect(await worker.hasImage(image)).toBe(true);

    const logs = await eventually(async () => {
      const out = await text(await manager.serviceLogs('hello', { tail: 10 }));
      return out.includes('hello from the registry') ? out : undefined;
    });
    expect(logs).toContain('hello from the registry');

    const ok = await worker.exec(task.containerId!, ['cat', '/hello.txt']);
    expect(ok).toEqual({ exitCode: 0, stdout: 'hello from the registry\n', stderr: '' });
    const failed = await worker.exec(task.containerId!, ['sh', '-c', 'echo oops >&2; exit 3']);
    expect(failed).toEqual({ exitCode: 3, stdout: '', stderr: 'oops\n' });
  });

  it('scales, labels, inspects and removes services', async () => {
    await manager.updateService('hello', { replicas: 2, labels: { 'micado.client': 'c1' } });
    const service = await manager.inspectService('hello');
    expect(service).toMatchObject({
      replicas: 2,
      labels: { 'micado.client': 'c1' },
      reservations: { 'micado.mem_mb': 64 },
    });
    await eventually(async () => {
      const running = (
        await manager.listTasks({ service: ['hello'], 'desired-state': ['running'] })
      ).filter((t) => t.state === 'running');
      return running.length === 2 ? running : undefined;
    }, 60_000);
    expect(
      (await manager.listServices({ label: ['micado.client=c1'] })).map((s) => s.name),
    ).toEqual(['hello']);
    await manager.removeService('hello');
    expect(await manager.listServices()).toEqual([]);
  });

  it('saves an image from one engine and loads it into another', async () => {
    const tarball = await manager.saveImage(cluster.layout.baseImage);
    const other = `${cluster.layout.registry}/micado/base:latest`;
    await worker.loadImage(tarball);
    expect(await worker.hasImage(other)).toBe(true);
    await worker.tagImage(other, 'copied/base', 'v1');
    expect(await worker.hasImage('copied/base:v1')).toBe(true);
  });

  it('labels and drains nodes', async () => {
    const [node] = await manager.listNodes({ role: ['worker'] });
    await manager.updateNode(node!.id, { labels: { extra: 'yes' }, availability: 'drain' });
    const inspected = await manager.inspectNode(node!.id);
    expect(inspected.availability).toBe('drain');
    expect(inspected.labels).toMatchObject({ extra: 'yes', 'micado.instance': instanceId });
  });

  it('lands every one of many concurrent updates of one node and one service', async () => {
    // Each writer reads a version another writer is about to replace: Swarm answers
    // "update out of sequence" to all but one, and each must read again and re-apply.
    const [node] = await manager.listNodes({ role: ['worker'] });
    const writers = Array.from({ length: 12 }, (_, i) => i);
    await Promise.all(
      writers.map((i) => manager.updateNode(node!.id, { labels: { [`race.${i}`]: String(i) } })),
    );
    const labels = (await manager.inspectNode(node!.id)).labels;
    for (const i of writers) expect(labels[`race.${i}`]).toBe(String(i));
    await manager.createService({ name: 'raced', image: cluster.layout.baseImage, replicas: 0 });
    await Promise.all(
      writers.map((i) => manager.updateService('raced', { labels: { [`race.${i}`]: String(i) } })),
    );
    const service = await manager.inspectService('raced');
    for (const i of writers) expect(service.labels[`race.${i}`]).toBe(String(i));
    await manager.removeService('raced');
  });

  it("answers on a node's TLS port only to a client of the cluster's CA, as its instance", async () => {
    const files = clusterTlsFiles(cluster.config.stateDir);
    const address = { host: instanceAddress, port: 2376, tls: managerTls(files) };
    // Its certificate serves its own instance: a connection made to reach another is
    // refused. (Checked first: a kept-alive connection is reused for the engine it was
    // made to, the same one, by Node's agent.)
    const passingFor = connectEngine({ ...address, serverName: 'i-other' }, { timeoutMs: 5000 });
    await expect(passingFor.ping()).rejects.toThrow(/i-other/);
    const ours = connectEngine({ ...address, serverName: instanceId });
    expect((await ours.info()).id).toBe((await worker.info()).id);
    const elsewhere = mkdtempSync(join(tmpdir(), 'micado-foreign-ca-'));
    try {
      const foreign = managerTls(await ensureClusterTls(elsewhere, 'foreign'));
      const impostor = connectEngine(
        {
          host: instanceAddress,
          port: 2376,
          tls: { ...foreign, ca: managerTls(files).ca },
          serverName: instanceId,
        },
        { timeoutMs: 5000 },
      );
      await expect(impostor.ping()).rejects.toThrow();
      const plain = connectEngine({ host: instanceAddress, port: 2376 }, { timeoutMs: 5000 });
      await expect(plain.ping()).rejects.toThrow();
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('turns engine refusals into errors that name what failed', async () => {
    await expect(manager.inspectService('no-such-service')).rejects.toThrow(
      /service no-such-service: service no-such-service not found/,
    );
    await expect(manager.pushImage(`${cluster.layout.registry}/not/here:1`)).rejects.toThrow(
      /push .*not\/here:1/,
    );
  });
});
