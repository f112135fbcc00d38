/**
 * A node for a host port, side by side with a node for memory, in one run: on a cluster
 * with one node started by hand, a two-replica container whose second replica needs a
 * node of its own, once because the first node has no memory left for it (300 MB
 * each on a 512 MB node), once because its `-p` port is taken there (50 MB each, with
 * room to spare). Each is `micado launch` until every replica runs; the new node is
 * given back between turns. The ratio says whether a task pending on its port is as
 * prompt a reason for a node as one pending for resources.
 */
import { TestCluster } from '../test/support/test-cluster.js';
import { median, ms } from './measure.js';

const TURNS = 3;

export async function benchPorts(): Promise<string[][]> {
  const cluster = new TestCluster({
    pools: { default: { driver: 'local', flavour: 'small', min: 0, max: 4 } },
    // The bench gives its nodes back itself: the manager must not race it.
    autoscaler: { scaleDownUnneededMs: 3_600_000 },
    monitor: { schedule: '0 0 1 1 *' },
  });
  const cli = async (...args: string[]) => {
    const result = await cluster.micado(...args);
    if (result.code !== 0) throw new Error(`micado ${args.join(' ')}: ${result.stderr.trim()}`);
    return result.stdout;
  };
  /** micado launch until every replica runs, its container then removed, its node given back. */
  const launched = async (name: string, ...flags: string[]) => {
    const started = performance.now();
    await cli('launch', '-i', 'micado/base', '-n', name, '-s', 'sleep', '-a', '600', '--replicas', '2', ...flags); // prettier-ignore
    const took = performance.now() - started;
    await cli('quit', '-n', `container-${name}`, '--rm');
    const { instances } = JSON.parse(await cli('list', '-i', '--json')) as { instances: { tag: string }[] }; // prettier-ignore
    for (const { tag } of instances.filter((i) => i.tag !== 'first')) await cli('stop', '-t', tag);
    return took;
  };
  try {
    await cli('up');
    await cli('start', '-f', 'small', '-t', 'first');
    // Once unmeasured: the image reaches the first node.
    await launched('warmup', '--memory', '300m');
    const memory: number[] = [];
    const port: number[] = [];
    for (let turn = 0; turn < TURNS; turn++) {
      memory.push(await launched(`mem${turn}`, '--memory', '300m'));
      port.push(await launched(`port${turn}`, '--memory', '50m', '-p', '9090'));
    }
    const m = median(memory);
    const p = median(port);
    return [
      ['ports: launch -> 2 replicas running, 2nd needs a node for memory', ms(m), `median of ${TURNS}`],
      ['ports: launch -> 2 replicas running, 2nd needs a node for its -p port', ms(p), `median of ${TURNS}`],
      ['ports: port / memory', (p / m).toFixed(2), 'same run, turns alternated'],
    ]; // prettier-ignore
  } finally {
    await cluster.destroy();
  }
}
