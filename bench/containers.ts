/**
 * Container benchmarks, side by side in one run on an isolated cluster:
 * - launch: `micado launch --wait`, and the same launch through the library in-process,
 *   next to the same service created directly through the engine API and watched until
 *   it runs (no CLI, no checks), alternating. The CLI row pays Node's start-up too.
 * - list: `micado list -c` with 100 running containers, next to the three engine calls
 *   it makes, in-process.
 */
import { median, ms, timed } from './measure.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../test/support/test-cluster.js';
import { launchContainer, waitUntilRunning } from '../src/containers/container-operations.js';
import { CONTAINER_LABEL } from '../src/swarm/labels.js';
import { imageRegistry } from '../src/cluster/private-registry.js';

export async function benchContainers(): Promise<string[][]> {
  const cluster = new TestCluster();
  const rows: string[][] = [];
  const cli = async (...args: string[]) => {
    const result = await cluster.micado(...args);
    if (result.code !== 0) throw new Error(`micado ${args.join(' ')}: ${result.stderr}`);
  };
  try {
    await cli('up');
    await cli('start', '-f', 'large', '-t', 'l1');
    await cli('start', '-f', 'large', '-t', 'l2');
    const manager = cluster.manager();
    const image = cluster.layout.baseImage;

    const launches: number[] = [];
    const library: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < 5; i++) {
      library.push(
        await timed(async () => {
          await launchContainer(manager, imageRegistry(cluster.layout), {
            name: `container-lib${i}`,
            client: `lib${i}`,
            image: { given: 'micado/base', name: image },
            script: 'sleep',
            arguments: ['600'],
            environment: [],
            cpuMilli: 10,
            memoryMb: 16,
            replicas: 1,
          });
          await waitUntilRunning(manager, `container-lib${i}`, 60_000);
        }),
      );
      launches.push(
        await timed(() =>
          cli(
            'launch',
            '-i',
            'micado/base',
            '-n',
            `l${i}`,
            '-s',
            'sleep',
            '-a',
            '600',
            '--memory',
            '16m',
            '--cpu',
            '10m',
          ),
        ),
      );
      direct.push(
        await timed(async () => {
          const id = await manager.createService({
            name: `direct-${i}`,
            image,
            command: ['sleep', '600'],
            reservations: { 'micado.mem_mb': 16, 'micado.cpu_milli': 10 },
          });
          while (!(await manager.listTasks({ service: [id] })).some((t) => t.state === 'running'))
            await sleep(50);
        }),
      );
    }
    const launch = median(launches);
    const bare = median(direct);
    rows.push([
      'micado launch --wait (median of 5)',
      ms(launch),
      `launch/direct = ${(launch / bare).toFixed(2)} (budget 1.5)`,
    ]);
    const inProcess = median(library);
    rows.push([
      'launch through the library, in-process',
      ms(inProcess),
      `library/direct = ${(inProcess / bare).toFixed(2)}`,
    ]);
    rows.push(['same service through the engine API', ms(bare), '']);

    // Fill up to 100 running containers, created directly for speed.
    for (let i = 10; i < 100; i++) {
      await manager.createService({
        name: `container-fill${i}`,
        image,
        command: ['sleep', '600'],
        labels: { [CONTAINER_LABEL.name]: `container-fill${i}` },
        reservations: { 'micado.mem_mb': 16, 'micado.cpu_milli': 10 },
      });
    }
    const deadline = Date.now() + 300_000;
    while (
      (await manager.listTasks({ 'desired-state': ['running'] })).filter(
        (t) => t.state === 'running',
      ).length < 100
    ) {
      if (Date.now() > deadline) throw new Error('containers did not all start');
      await sleep(500);
    }
    const lists: number[] = [];
    const calls: number[] = [];
    for (let i = 0; i < 10; i++) {
      lists.push(await timed(() => cli('list', '-c')));
      calls.push(
        await timed(() =>
          Promise.all([
            manager.listServices({ label: [CONTAINER_LABEL.name] }),
            manager.listTasks({ 'desired-state': ['running'] }),
            manager.listNodes(),
          ]),
        ),
      );
    }
    const list = median(lists);
    rows.push(['micado list -c, 100 containers (median of 10)', ms(list), 'budget 500 ms']);
    rows.push([
      'its three engine calls, in-process',
      ms(median(calls)),
      `list/calls = ${(list / median(calls)).toFixed(1)}`,
    ]);
  } finally {
    await cluster.destroy();
  }
  return rows;
}
