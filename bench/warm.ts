/**
 * Warm nodes, side by side with bare Swarm in one run: a container no active node has
 * room for, created while its pool keeps one node warm (paused, its image pulled while
 * it waited) -> the manager wakes the node -> Swarm places the task -> running; next to
 * the same container created for a Ready, active node made by hand that already holds
 * the image, which Swarm places by itself (the floor: no autoscaler can beat it).
 */
import { TestCluster } from '../test/support/test-cluster.js';
import { nodeEngineOf } from '../src/nodes/node-engine.js';
import type { SwarmClient } from '../src/swarm/index.js';
import { median, ms } from './measure.js';

const RUNS = 5;

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within 120 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** From the service's creation to its task running, in ms. */
async function timeToRunning(
  manager: SwarmClient,
  spec: { name: string; image: string; constraints: string[] },
): Promise<number> {
  const started = performance.now();
  const id = await manager.createService({
    ...spec,
    command: ['sleep', '600'],
    reservations: { 'micado.mem_mb': 300, 'micado.cpu_milli': 100 },
  });
  await until(`${spec.name} running`, async () =>
    (await manager.listTasks({ service: [id] })).some((t) => t.state === 'running')
      ? true
      : undefined,
  );
  const took = performance.now() - started;
  await manager.removeService(id);
  return took;
}

export async function benchWarm(): Promise<string[][]> {
  const cluster = new TestCluster({
    pools: { default: { driver: 'local', flavour: 'small', min: 0, max: 3, warm: 1 } },
    autoscaler: { scaleDownUnneededMs: 1000, scaleDownDelayAfterUpMs: 0, scaleDownCooldownMs: 0 },
    monitor: { schedule: '0 0 1 1 *' },
  });
  try {
    const up = await cluster.micado('up');
    if (up.code !== 0) throw new Error(up.stderr);
    const bare = await cluster.micado('start', '-f', 'small', '-t', 'barebench');
    if (bare.code !== 0) throw new Error(bare.stderr);
    const manager = cluster.manager();
    const image = cluster.layout.baseImage;
    /** The pool's one node, once it is warm and holds the image. */
    const warmAndSeeded = async () => {
      const nodes = (await manager.listNodes({ role: ['worker'] })).filter(
        (n) => n.labels['micado.autoscaled'] === 'true',
      );
      const [node] = nodes;
      if (nodes.length !== 1 || node!.availability !== 'pause' || node!.state !== 'ready')
        return undefined;
      const engine = nodeEngineOf(cluster.config, node!);
      return (await engine?.hasImage(image)) ? true : undefined;
    };
    const warmSpec = (name: string) => ({
      name,
      image,
      constraints: ['node.labels.micado.autoscaled==true'],
    });
    const bareSpec = (name: string) => ({
      name,
      image,
      constraints: ['engine.labels.micado.tag==barebench'],
    });
    // Once each unmeasured: the pool learns the image its nodes run, the bare node pulls it.
    await until('a warm node', async () =>
      (await manager.listNodes()).some((n) => n.availability === 'pause') ? true : undefined,
    );
    await timeToRunning(manager, warmSpec('container-warmup'));
    await timeToRunning(manager, bareSpec('bare-warmup'));
    const warm: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await until('the pool back to one warm node holding the image', warmAndSeeded);
      warm.push(await timeToRunning(manager, warmSpec(`container-warm${i}`)));
      floor.push(await timeToRunning(manager, bareSpec(`bare-ready${i}`)));
    }
    return [
      [`warm node: pending -> running (median of ${RUNS})`, ms(median(warm)), `goal < 500 ms; warm/bare ${(median(warm) / median(floor)).toFixed(2)}`], // prettier-ignore
      ['  bare Swarm, a Ready node with room and the image', ms(median(floor)), ''],
      ['  warm, each run', warm.map(ms).join(', '), ''],
      ['  bare, each run', floor.map(ms).join(', '), ''],
    ]; // prettier-ignore
  } finally {
    await cluster.destroy();
  }
}
