/**
 * Foundation benchmarks, measured side by side in one run on an isolated cluster (this
 * machine is shared and noisy: compare the ratios, not the absolute times).
 *
 * - up: `micado up` from nothing (packages installed), next to a bare dockerd cold
 *   start in a namespace, the one step up cannot avoid.
 * - start: `micado start` to Ready, and the same through the library in-process (no CLI
 *   start-up), next to the bare steps (namespace, dockerd, swarm join, node Ready seen
 *   by polling) with no records, events or labels.
 * - status: `micado status` on a 5-worker cluster, next to `micado --version` (the
 *   CLI's own load time).
 */
import { median, ms, timed } from './measure.js';
import { TestCluster } from '../test/support/test-cluster.js';
import { swarmEntry } from '../src/cluster/cluster-layout.js';
import { destroyLocalHost, type LocalHostRecord } from '../src/namespace-host/local-host.js';
import { bareNode } from '../test/support/bare-node.js';
import { driverOfCloud } from '../src/nodes/node-drivers.js';
import { labelNode, startNode, stopNode } from '../src/nodes/node-lifecycle.js';

async function cli(cluster: TestCluster, ...args: string[]) {
  const result = await cluster.micado(...args);
  if (result.code !== 0) throw new Error(`micado ${args.join(' ')}: ${result.stderr}`);
  return result;
}

export async function benchFoundation(): Promise<string[][]> {
  // Its bare-Swarm side joins nodes by hand, which the manager would remove as rogue.
  const cluster = new TestCluster({
    autoscaler: { removeRogueNodes: false, rotateJoinToken: false },
  });
  const rows: string[][] = [];
  // micado does not know the bare hosts: the bench removes them itself, whatever happens.
  const bareHosts: LocalHostRecord[] = [];
  try {
    // up from nothing, three times, next to a bare dockerd cold start.
    const ups: number[] = [];
    for (let i = 0; i < 3; i++) {
      ups.push(await timed(() => cli(cluster, 'up')));
      if (i < 2) await cli(cluster, 'down');
    }
    const manager = cluster.manager();
    const { worker: token } = await manager.joinTokens();

    const starts: number[] = [];
    const inProcess: number[] = [];
    const labelled: number[] = [];
    const bares: number[] = [];
    const driver = driverOfCloud(cluster.config, 'local');
    for (let i = 0; i < 5; i++) {
      starts.push(await timed(() => cli(cluster, 'start', '-f', 'small', '-t', `b${i}`)));
      const request = { id: `lib-${i}`, pool: 'application', flavour: 'small', tag: `lib${i}` };
      const entry = swarmEntry(cluster.layout);
      const began = performance.now();
      const { node } = await startNode(manager, driver, entry, request, 30_000);
      inProcess.push(performance.now() - began);
      await labelNode(manager, node, request, driver.name);
      labelled.push(performance.now() - began);
      bares.push(await timed(() => bareNode(cluster, i, { token }, bareHosts)));
    }
    while (bareHosts.length > 0) await destroyLocalHost(bareHosts.pop()!, 5_000);
    // status is measured on the 5 nodes the CLI started.
    for (let i = 0; i < 5; i++) await stopNode(manager, driver, `lib-${i}`, 1_000);
    const down = await manager.listNodes({ role: ['worker'] });
    for (const node of down.filter((n) => n.engineLabels.bare))
      await manager.removeNode(node.id, true);

    const statuses: number[] = [];
    const versions: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push(await timed(() => cli(cluster, 'status')));
      versions.push(await timed(() => cli(cluster, '--version')));
    }
    const workers = (await manager.listNodes({ role: ['worker'] })).length;

    const up = median(ups);
    const start = median(starts);
    const bare = median(bares);
    const library = median(inProcess);
    const status = median(statuses);
    const version = median(versions);
    rows.push(['micado up from nothing (median of 3)', ms(up), 'budget 15000 ms']);
    rows.push(['micado start -> Ready (median of 5)', ms(start), 'budget 3000 ms']);
    rows.push([
      'startNode in-process (execute.sh) -> Ready',
      ms(library),
      `in-process/bare = ${(library / bare).toFixed(2)}`,
    ]);
    rows.push([
      '  ... and labelled',
      ms(median(labelled)),
      `labelled/bare = ${(median(labelled) / bare).toFixed(2)}`,
    ]);
    rows.push([
      'bare namespace+dockerd+join -> Ready',
      ms(bare),
      `cli/bare = ${(start / bare).toFixed(2)}`,
    ]);
    rows.push([`micado status, ${workers} workers (median of 10)`, ms(status), 'budget 500 ms']);
    rows.push([
      'micado --version (CLI load)',
      ms(version),
      `status/version = ${(status / version).toFixed(2)}`,
    ]);
  } finally {
    for (const host of bareHosts) await destroyLocalHost(host, 5_000).catch(console.error);
    await cluster.destroy();
  }
  return rows;
}
