/**
 * A burst: N containers that each need a node of their own, created at once on a
 * local pool of small nodes with none running. Measured: time until all run, node
 * starts that failed, and nodes asked for against nodes needed; next to bare Swarm in
 * the same run (N services pinned to N nodes made at once with the bare steps).
 */
import { join } from 'node:path';
import { TestCluster } from '../test/support/test-cluster.js';
import { destroyLocalHost, type LocalHostRecord } from '../src/namespace-host/local-host.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { bareNode } from '../test/support/bare-node.js';
import { allRunning, ms } from './measure.js';
import { CONTAINER_LABEL } from '../src/swarm/labels.js';

const N = 20;
const RESERVED = { 'micado.mem_mb': 300, 'micado.cpu_milli': 100 };

export async function benchBurst(): Promise<string[][]> {
  const cluster = new TestCluster({
    pools: { default: { driver: 'local', flavour: 'small', min: 0, max: N } },
    // The bench gives its nodes back itself: the manager must not race it.
    // Its bare-Swarm side joins nodes by hand, which the manager would remove as rogue.
    autoscaler: { scaleDownUnneededMs: 3_600_000, removeRogueNodes: false, rotateJoinToken: false },
  });
  const bareHosts: LocalHostRecord[] = [];
  try {
    const up = await cluster.micado('up');
    if (up.code !== 0) throw new Error(up.stderr);
    const manager = cluster.manager();
    const image = cluster.layout.baseImage;

    const wall0 = Date.now();
    const t0 = performance.now();
    await Promise.all(
      Array.from(
        { length: N },
        (_, i) =>
        manager.createService({
          name: `container-burst${i}`, image, command: ['sleep', '3600'],
          labels: { [CONTAINER_LABEL.name]: `container-burst${i}` }, reservations: RESERVED,
        }), // prettier-ignore
      ),
    );
    await allRunning(manager, 'container-burst', N);
    const micado = performance.now() - t0;
    const store = SqliteStore.open(join(cluster.config.stateDir, 'micado.db'));
    const intents = await store.intents({ since: wall0 - 1000 });
    const events = await store.events({ since: wall0 - 1000, limit: 10_000 });
    await store.close();
    const failed = events.filter((e) => e.action === 'failure').length;
    for (let i = 0; i < N; i++) await manager.removeService(`container-burst${i}`);
    const down = await cluster.micado('down');
    if (down.code !== 0) throw new Error(down.stderr);

    // Bare Swarm, on a fresh cluster: N services, each pinned to a node of its own made
    // at once by hand (the manager leaves them be: no pool's node could hold them).
    if ((await cluster.micado('up')).code !== 0) throw new Error('micado up failed');
    const bare = cluster.manager();
    const { worker: token } = await bare.joinTokens();
    const b0 = performance.now();
    await Promise.all(
      Array.from(
        { length: N },
        (_, i) =>
        bare.createService({
          name: `bare-burst${i}`, image, command: ['sleep', '3600'], reservations: RESERVED,
          constraints: [`engine.labels.bare==burst${i}`],
        }), // prettier-ignore
      ),
    );
    await Promise.all(
      Array.from({ length: N }, (_, i) => bareNode(cluster, i, { token }, bareHosts, `burst${i}`)),
    );
    await allRunning(bare, 'bare-burst', N);
    const bareTime = performance.now() - b0;
    return [
      [`burst: ${N} containers each needing a node, all running (micado)`, ms(micado), `goal 30000 ms; micado/bare = ${(micado / bareTime).toFixed(2)}`],
      [`same on bare Swarm (${N} nodes made at once by hand)`, ms(bareTime), ''],
      ['burst: node starts failed', String(failed), 'goal 0'],
      ['burst: nodes asked / needed', `${intents.length}/${N}`, 'goal 1.00'],
    ]; // prettier-ignore
  } finally {
    while (bareHosts.length > 0)
      await destroyLocalHost(bareHosts.pop()!, 5_000).catch(() => undefined);
    await cluster.destroy();
  }
}
