/**
 * Recovery: a manager engine that died is brought back by `up` with its swarm intact,
 * and a node whose dockerd was killed (leaving mounts and containers behind) is still
 * removed without a trace.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterState } from '../src/cluster/cluster-state.js';
import type { LocalInstanceRecord } from '../src/cloud/local/local-records.js';
import { join } from 'node:path';
import { TestCluster, eventually, instanceLeftovers } from './support/test-cluster.js';
import { NODE_LABEL } from '../src/swarm/labels.js';

describe('recovery', () => {
  const cluster = new TestCluster();
  let instanceId: string;

  beforeAll(async () => {
    expect((await cluster.micado('up')).code).toBe(0);
    const start = await cluster.micado('start', '-f', 'small', '-t', 'r1', '--json');
    expect(start.code, start.stderr).toBe(0);
    instanceId = JSON.parse(start.stdout).instance.id;
  });

  afterAll(async () => {
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('brings a killed manager engine back with its swarm and nodes', async () => {
    const state = JSON.parse(readFileSync(cluster.layout.stateFile, 'utf8')) as ClusterState;
    process.kill(state.manager!.process!.pid, 'SIGKILL');
    await eventually(async () => {
      const status = JSON.parse((await cluster.micado('status', '--json')).stdout);
      return status.manager.state === 'stopped' ? status : undefined;
    });

    const up = await cluster.micado('up', '--json');
    expect(up.code, up.stderr).toBe(0);
    const steps = JSON.parse(up.stdout).steps as { component: string; outcome: string }[];
    expect(steps.find((s) => s.component === 'manager')?.outcome).toBe('made');
    expect(steps.find((s) => s.component === 'swarm')?.outcome).toBe('already up');

    const worker = await eventually(async () => {
      const nodes = await cluster.manager().listNodes({ role: ['worker'] });
      return nodes.find((n) => n.labels[NODE_LABEL.instance] === instanceId && n.state === 'ready');
    }, 60_000);
    expect(worker.labels[NODE_LABEL.tag]).toBe('r1');
  });

  it('removes a node whose dockerd was killed, with its mounts and containers', async () => {
    const manager = cluster.manager();
    await manager.createService({
      name: 'sleeper',
      image: cluster.layout.baseImage,
      command: ['sleep', '600'],
      reservations: { 'micado.mem_mb': 100 },
    });
    await eventually(async () => {
      const tasks = await manager.listTasks({ service: ['sleeper'] });
      return tasks.some((t) => t.state === 'running') ? tasks : undefined;
    }, 60_000);
    const recordFile = join(cluster.config.stateDir, 'instances', `${instanceId}.json`);
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as LocalInstanceRecord;
    process.kill(record.host.process!.pid, 'SIGKILL');

    // The container (and its shim) outlive a killed dockerd; stop must still remove all.
    const started = Date.now();
    const stop = await cluster.micado('stop', '-t', 'r1');
    expect(stop.code, stop.stderr).toBe(0);
    // A dead node is not drained: no waiting out the 60 s drain deadline.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await instanceLeftovers(cluster, instanceId)).toEqual([]);
    expect(await manager.listNodes({ role: ['worker'] })).toEqual([]);
  });
});
