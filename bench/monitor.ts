/**
 * Monitor and store benchmarks, side by side in one run:
 * - refresh: one monitor refresh of 200 containers on 4 nodes (in-process and through
 *   `micado monitor --once`), next to the bare engine calls it makes (every node's
 *   container list and one-shot stats, same concurrency, nothing stored).
 * - store writes: one refresh's rows written as one transaction (writeRefresh) against
 *   the same rows written one transaction per row (putInstance/putContainer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { TestCluster } from '../test/support/test-cluster.js';
import { nodeEngineOf } from '../src/nodes/node-engine.js';
import { connectEngine } from '../src/swarm/index.js';
import { Monitor } from '../src/monitor/monitor.js';
import { SERVICE_NAME_LABEL, STATS_PER_NODE } from '../src/monitor/node-readings.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { container, instance } from '../src/store/store.fixtures.js';
import type { Refresh } from '../src/store/store.js';
import { median, ms, timed } from './measure.js';
import { CONTAINER_LABEL } from '../src/swarm/labels.js';

const NODES = 4;
const CONTAINERS = 200;

export async function benchMonitor(): Promise<string[][]> {
  return [...(await benchStoreWrites()), ...(await benchRefresh())];
}

async function benchRefresh(): Promise<string[][]> {
  const cluster = new TestCluster({
    flavours: { wide: { cpus: 64, memoryMb: 65536 } },
  });
  const cli = async (...args: string[]) => {
    const result = await cluster.micado(...args);
    if (result.code !== 0) throw new Error(`micado ${args.join(' ')}: ${result.stderr}`);
  };
  try {
    await cli('up');
    for (let n = 0; n < NODES; n++) await cli('start', '-f', 'wide', '-t', `w${n}`);
    const manager = cluster.manager();
    const perService = CONTAINERS / NODES;
    for (let s = 0; s < NODES; s++) {
      await manager.createService({
        name: `container-m${s}`,
        image: cluster.layout.baseImage,
        command: ['sleep', '3600'],
        replicas: perService,
        labels: { [CONTAINER_LABEL.name]: `container-m${s}` },
        reservations: { 'micado.mem_mb': 16, 'micado.cpu_milli': 10 },
      });
    }
    const deadline = Date.now() + 600_000;
    while (
      (await manager.listTasks({ 'desired-state': ['running'] })).filter(
        (t) => t.state === 'running',
      ).length < CONTAINERS
    ) {
      if (Date.now() > deadline) throw new Error('containers did not all start');
      await sleep(1000);
    }

    const { config } = cluster;
    const store = SqliteStore.open(join(config.stateDir, 'micado.db'));
    const engineFor = (node: Parameters<typeof nodeEngineOf>[1]) =>
      nodeEngineOf(config, node, { timeoutMs: config.monitor.nodeTimeoutMs });
    const monitor = new Monitor({ manager, store, engineFor, options: config.monitor });
    // The same refresh through each node's own unix socket: what TLS costs.
    const overSocket = new Monitor({
      manager,
      store,
      engineFor: (node) =>
        connectEngine(
          {
            socketPath: join(
              config.stateDir,
              'nodes',
              node.engineLabels['micado.instance']!,
              'docker.sock',
            ),
          },
          { timeoutMs: config.monitor.nodeTimeoutMs },
        ),
      options: config.monitor,
    });
    const sockets: number[] = [];
    const refreshes: number[] = [];
    const bare: number[] = [];
    const clis: number[] = [];
    let measured = 0;
    for (let i = 0; i < 5; i++) {
      refreshes.push(
        await timed(async () => {
          measured = (await monitor.refresh()).containers;
        }),
      );
      bare.push(
        await timed(async () => {
          const nodes = (await manager.listNodes()).filter((n) => n.role === 'worker');
          const limit = pLimit(config.monitor.concurrency);
          await Promise.all(
            nodes.map((node) =>
              limit(async () => {
                const engine = engineFor(node)!;
                const containers = await engine.listContainers({ label: [SERVICE_NAME_LABEL] });
                const perNode = pLimit(STATS_PER_NODE);
                await Promise.all(
                  containers.map((c) => perNode(() => engine.containerStats(c.id))),
                );
              }),
            ),
          );
        }),
      );
      clis.push(await timed(() => cli('monitor', '--once')));
      sockets.push(await timed(() => overSocket.refresh()));
    }
    await store.close();
    if (measured !== CONTAINERS) throw new Error(`measured ${measured} of ${CONTAINERS}`);
    const refresh = median(refreshes);
    const direct = median(bare);
    return [
      [
        `monitor refresh, ${CONTAINERS} containers on ${NODES} nodes (median of 5)`,
        ms(refresh),
        `budget 5000 ms; refresh/bare calls = ${(refresh / direct).toFixed(2)}`,
      ],
      ['micado monitor --once, same cluster', ms(median(clis)), ''],
      [
        "the same refresh over each node's unix socket",
        ms(median(sockets)),
        `TLS/unix = ${(refresh / median(sockets)).toFixed(2)} (budget 1.2)`,
      ],
      ['bare engine calls (list + one-shot stats per container)', ms(direct), ''],
    ];
  } finally {
    await cluster.destroy();
  }
}

async function benchStoreWrites(): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'micado-bench-store-'));
  try {
    const batched = SqliteStore.open(join(dir, 'batched.db'));
    const rowByRow = SqliteStore.open(join(dir, 'rows.db'));
    const oneRefresh = (at: number): Refresh => {
      const instances = Array.from({ length: NODES }, (_, n) =>
        instance(`i-${n}`, { lastSeen: at }),
      );
      const containers = Array.from({ length: CONTAINERS }, (_, n) =>
        container(`c${n}`, `i-${n % NODES}`, { lastSeen: at }),
      );
      return { at, instances, containers, samples: [], staleInstances: [] };
    };
    const batches: number[] = [];
    const rows: number[] = [];
    for (let i = 0; i < 20; i++) {
      const refresh = oneRefresh(Date.now());
      batches.push(await timed(() => batched.writeRefresh(refresh)));
      rows.push(
        await timed(async () => {
          for (const row of refresh.instances) await rowByRow.putInstance(row);
          for (const row of refresh.containers) await rowByRow.putContainer(row);
        }),
      );
    }
    await batched.close();
    await rowByRow.close();
    const batch = median(batches);
    const row = median(rows);
    return [
      [
        `store: one refresh (${NODES} + ${CONTAINERS} rows) in one transaction (median of 20)`,
        `${batch.toFixed(2)} ms`,
        `row-by-row/batched = ${(row / batch).toFixed(1)}`,
      ],
      ['store: the same rows, one transaction each', `${row.toFixed(2)} ms`, ''],
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
