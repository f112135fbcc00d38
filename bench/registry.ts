/**
 * A pull from the private registry as nodes do it now (TLS from the cluster's CA, the
 * pull account) side by side with a pull from a plain-HTTP registry with no account
 * over the same storage, in one run: on one node joined by hand (it trusts the plain
 * one as an insecure registry, the only way an engine pulls plain HTTP), each image is
 * pulled from one, removed, pulled from the other, removed, turns alternating which
 * goes first. Two images: the base image (a few MB: the cost of the handshakes and the
 * account checks per request shows) and one with a 32 MB layer (throughput). Also what
 * rotating the worker join token, which every node start does once Ready, costs.
 */
import { join } from 'node:path';
import { TestCluster } from '../test/support/test-cluster.js';
import { bareNode } from '../test/support/bare-node.js';
import { destroyLocalHost, type LocalHostRecord } from '../src/namespace-host/local-host.js';
import { namespacedArgv } from '../src/namespace-host/dockerd-command.js';
import { createCgroup } from '../src/host/cgroup.js';
import { spawnDaemon, stopProcess, type ProcessRecord } from '../src/host/process.js';
import { writeFileSync } from 'node:fs';
import { connectEngine } from '../src/swarm/index.js';
import { pushName, registryAuths } from '../src/cluster/private-registry.js';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { median, ms, timed } from './measure.js';
import { httpStatus } from '../src/host/http-probe.js';

const TURNS = 9;

function tarOf(files: Record<string, string>): Readable {
  const tar = pack();
  for (const [name, content] of Object.entries(files)) tar.entry({ name }, content);
  tar.finalize();
  return Readable.from(tar);
}

export async function benchRegistry(): Promise<string[][]> {
  const cluster = new TestCluster({
    pools: {},
    autoscaler: { removeRogueNodes: false, rotateJoinToken: false },
  });
  const made: LocalHostRecord[] = [];
  let plain: ProcessRecord | undefined;
  try {
    const up = await cluster.micado('up');
    if (up.code !== 0) throw new Error(up.stderr);
    const { layout } = cluster;
    const manager = cluster.manager();
    // The plain registry: read-only, no account, no TLS, on the same storage.
    const plainAddress = `${layout.managerAddress}:${layout.config.registry.port + 2}`;
    const config = join(layout.registryDir, 'plain.yml');
    writeFileSync(config, ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(layout.registryDir, 'data')}`,
      '  maintenance:', '    readonly:', '      enabled: true', 'http:', `  addr: ${plainAddress}`, ''].join('\n')); // prettier-ignore
    plain = spawnDaemon(namespacedArgv(createCgroup(`${layout.manager!.cgroup}/registry-plain`), layout.manager!.namespace, layout.manager!.namespace, ['docker-registry', 'serve', config]), join(layout.registryDir, 'plain.log')); // prettier-ignore
    while ((await httpStatus(`http://${plainAddress}/v2/`, { timeoutMs: 1000 })) !== 200)
      await new Promise((r) => setTimeout(r, 20));
    // A 32 MB layer, pushed to the registry's write side.
    const big = `${layout.registry}/bench/big:latest`;
    await manager.buildImage(tarOf({ Dockerfile: `FROM ${layout.baseImage}\nRUN dd if=/dev/urandom of=/blob bs=1M count=32\n` }), big); // prettier-ignore
    await manager.tagImage(big, pushName(layout, big).replace(/:latest$/, ''), 'latest');
    await manager.pushImage(pushName(layout, big));

    const { worker: token } = await manager.joinTokens();
    const node = await bareNode(cluster, 1, { token }, made, undefined, {}, true, ['--insecure-registry', plainAddress]); // prettier-ignore
    const engine = connectEngine({ socketPath: join(node.dir, 'docker.sock') }, { registryAuths: registryAuths(layout) }); // prettier-ignore
    const rows: string[][] = [];
    for (const [label, path] of [
      ['base image', 'micado/base:latest'],
      ['32 MB layer', 'bench/big:latest'],
    ] as const) {
      const secure = `${layout.registry}/${path}`;
      const open = `${plainAddress}/${path}`;
      const times = { secure: [] as number[], open: [] as number[] };
      const pull = async (which: 'secure' | 'open') => {
        const name = which === 'secure' ? secure : open;
        times[which].push(await timed(() => engine.pullImage(name)));
        await engine.removeImage(name);
      };
      for (let turn = 0; turn < TURNS; turn++) {
        const order =
          turn % 2 === 0 ? (['secure', 'open'] as const) : (['open', 'secure'] as const);
        for (const which of order) await pull(which);
      }
      const s = median(times.secure);
      const o = median(times.open);
      rows.push(
        [`registry: pull ${label}, TLS + pull account`, ms(s), `median of ${TURNS}`],
        [`registry: pull ${label}, plain HTTP, no account`, ms(o), `median of ${TURNS}`],
        [`registry: ${label} TLS+account / plain`, (s / o).toFixed(2), 'same run, turns alternated'],
      ); // prettier-ignore
    }
    // What a start pays after Ready for its token to be rotated (nodes/join-tokens.ts).
    const rotations: number[] = [];
    for (let turn = 0; turn < TURNS; turn++) rotations.push(await timed(() => manager.rotateWorkerToken())); // prettier-ignore
    rows.push(['perimeter: worker token rotation (after Ready)', ms(median(rotations)), `median of ${TURNS}`]); // prettier-ignore
    return rows;
  } finally {
    if (plain) await stopProcess(plain, 2_000);
    for (const host of made) await destroyLocalHost(host, 5_000).catch(() => undefined);
    await cluster.destroy();
  }
}
