/**
 * Consolidation on the local cluster, with the manager `micado up` starts and priced
 * flavours (small 1/h, medium 2.2/h):
 * - a medium left holding one 300 MB container is replaced by a small, the manager
 *   killed (SIGKILL) at each step of the replace, round after round, ten times: no
 *   node is lost, none is made twice, the ledger closes;
 * - six smalls, each half full with a replica of three two-replica sites, are replaced
 *   by one medium under Debian's wrk through a proxy: not one request fails.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { NODE_LABEL } from '../src/swarm/labels.js';
import { TestCluster, eventually, instanceLeftovers } from './support/test-cluster.js';
import { tarball } from './support/tarball.js';
import { NOT_ONE_FAILED, failuresOf, underLoad } from './support/under-load.js';

const IMAGE = 'container-page';

interface Row {
  instance: string;
  pool?: string;
  flavour?: string;
  node: string;
}

describe('consolidation on the local cluster', () => {
  let cluster: TestCluster;
  let work: string;

  afterEach(({ task }) => {
    if (task.result?.state !== 'fail') return;
    const log = join(cluster.config.stateDir, 'manager', 'micado-manager.log');
    if (existsSync(log)) console.log(readFileSync(log, 'utf8').split('\n').slice(-80).join('\n'));
  });

  beforeAll(async () => {
    cluster = new TestCluster({
      flavours: {
        small: { cpus: 1, memoryMb: 512, pricePerHour: 1 },
        medium: { cpus: 2, memoryMb: 2048, pricePerHour: 2.2 },
      },
      pools: { default: { driver: 'local', flavour: 'small', flavours: ['small', 'medium'], min: 0, max: 10 } }, // prettier-ignore
      autoscaler: {
        scanIntervalMs: 500,
        scaleDownUnneededMs: 3000,
        scaleDownDelayAfterUpMs: 1000,
        scaleDownCooldownMs: 0,
        drainTimeoutMs: 30_000,
        consolidation: 'replace',
        consolidationMinScore: 0.5,
        consolidationBudgetNodes: 6,
        consolidationBudgetPercent: 100,
        consolidateAfterMs: 8000,
      },
    });
    work = mkdtempSync(join(tmpdir(), 'micado-consolidation-'));
    const up = await cluster.micado('up');
    expect(up.code, up.stderr).toBe(0);
    // A page that names the replica serving it: busybox's httpd.
    const file = await tarball(work, 'page.tar', [
      { name: `${IMAGE}/Dockerfile`, content: `FROM ${cluster.layout.baseImage}\nCMD hostname > /www/index.html 2>/dev/null || { mkdir -p /www && hostname > /www/index.html; }; exec httpd -f -p \${PORT:-8080} -h /www\n` },
    ]); // prettier-ignore
    const build = await cluster.micado('build', '-n', IMAGE, '-f', file);
    expect(build.code, build.stderr).toBe(0);
  }, 240_000);

  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    const down = await cluster.destroy();
    expect(down.code, down.stderr).toBe(0);
    expect(await cluster.leftovers()).toEqual([]);
  });

  const instances = async (): Promise<Row[]> => {
    const list = await cluster.micado('list', '-i', '--json');
    expect(list.code, list.stderr).toBe(0);
    // The pool's machines (not the proxy's).
    return (JSON.parse(list.stdout).instances as Row[]).filter((r) => r.instance !== '-' && r.pool === 'default'); // prettier-ignore
  };
  const running = async (name: string, count = 1) =>
    eventually(async () => {
      const manager = cluster.manager();
      const service = (await manager.listServices()).find((s) => s.name === `container-${name}`);
      if (!service) return undefined;
      const tasks = await manager.listTasks({
        service: [service.id],
        'desired-state': ['running'],
      });
      return tasks.filter((t) => t.state === 'running').length === count ? tasks : undefined;
    }, 90_000);
  const launch = async (name: string, memory: string, ...more: string[]) => {
    const launched = await cluster.micado('launch', '-i', IMAGE, '-n', name, '--memory', memory, '--detach', ...more); // prettier-ignore
    expect(launched.code, launched.stderr).toBe(0);
  };
  const quit = async (name: string) => {
    const quitted = await cluster.micado('quit', '-n', `container-${name}`, '--rm');
    expect(quitted.code, quitted.stderr).toBe(0);
  };
  const managerPid = () =>
    JSON.parse(readFileSync(cluster.layout.stateFile, 'utf8')).autoscaler.pid as number;

  it('finishes a replace whose manager is killed at each of its steps: ten kills, no node lost, none twice', async () => {
    const store = SqliteStore.open(join(cluster.config.stateDir, 'micado.db'));
    const manager = cluster.manager();
    const kills: string[] = [];
    try {
      for (let round = 1; kills.length < 10 && round <= 4; round++) {
        // A medium for a 1,500 MB container, then a 300 MB one beside it; the first goes.
        await launch(`big${round}`, '1500m');
        await running(`big${round}`);
        const [medium] = await instances();
        expect(medium?.flavour).toBe('medium');
        await launch(`keep${round}`, '300m');
        await running(`keep${round}`);
        await quit(`big${round}`);
        // Each step of the replace, as it is seen: the manager dies there and comes back.
        let replacement = '';
        const nodeOf = async (instance: string) =>
          (await manager.listNodes({ role: ['worker'] })).find((n) => n.labels[NODE_LABEL.instance] === instance || n.engineLabels[NODE_LABEL.instance] === instance); // prettier-ignore
        const steps: [string, () => Promise<boolean>][] = [
          ['intent recorded', async () => {
            const open = (await store.openIntents()).find((i) => i.replaces?.includes(medium!.instance));
            if (open) replacement = open.instance;
            return open !== undefined;
          }],
          ['machine made', async () => existsSync(join(cluster.config.stateDir, 'instances', `${replacement}.json`))],
          ['node joined', async () => (await nodeOf(replacement)) !== undefined],
          ['old node paused', async () => (await nodeOf(medium!.instance))?.labels[NODE_LABEL.consolidating] === 'true'],
          ['old node draining', async () => (await nodeOf(medium!.instance))?.labels[NODE_LABEL.scalingDown] === 'true'],
        ]; // prettier-ignore
        for (const [step, seen] of steps) {
          const deadline = Date.now() + 60_000;
          while (!(await seen())) {
            if (Date.now() > deadline) throw new Error(`round ${round}: ${step} not seen`);
            await new Promise((r) => setTimeout(r, 2));
          }
          process.kill(managerPid(), 'SIGKILL');
          kills.push(`round ${round}: ${step}`);
          const up = await cluster.micado('up');
          expect(up.code, up.stderr).toBe(0);
        }
        // The medium is gone, one small holds the container, the ledger has nothing open.
        const rows = await eventually(async () => {
          const now = await instances();
          return now.length === 1 && now[0]!.instance === replacement ? now : undefined;
        }, 90_000);
        expect(rows[0]).toMatchObject({ flavour: 'small', node: 'ready' });
        await running(`keep${round}`);
        expect(await store.openIntents()).toEqual([]);
        expect(await instanceLeftovers(cluster, medium!.instance)).toEqual([]);
        const workers = await manager.listNodes({ role: ['worker'] });
        expect(workers.map((n) => n.labels[NODE_LABEL.instance])).toEqual([replacement]);
        await quit(`keep${round}`);
        await eventually(async () => ((await instances()).length === 0 ? true : undefined), 90_000);
      }
    } finally {
      await store.close();
    }
    expect(kills).toHaveLength(10);
  }, 600_000);

  it('replaces six half-full smalls by one medium under load through a proxy: no failed request', async () => {
    const started = await cluster.micado('start', '-n', 'proxy', '-f', 'small', '-t', 'proxy01', '--json'); // prettier-ignore
    expect(started.code, started.stderr).toBe(0);
    const proxy = JSON.parse(started.stdout).instance.address as string;
    const consolidations = async () =>
      (JSON.parse((await cluster.micado('events', '--json')).stdout) as { action: string; message: string }[]) // prettier-ignore
        .filter((e) => e.action === 'consolidate')
        .map((e) => e.message);
    const before = (await consolidations()).length;
    // One site at a time: each two replicas, 300 MB each, start two smalls (2/h, not a
    // medium at 2.2/h). The load begins before the cluster has been still long enough
    // (consolidateAfterMs) for the replace to be planned: no route changes under it
    // (a new domain reloads nginx, which closes kept-alive connections).
    for (const site of ['shop', 'blog', 'news']) {
      await launch(site, '300m', '--replicas', '2', '-d', `${site}.example`, '--container-port', '8080'); // prettier-ignore
      await running(site, 2);
    }
    const load = await underLoad(proxy, 'shop.example', async () => {
      // The replace is not planned yet: the load sees all of it.
      expect(await consolidations()).toHaveLength(before);
      const rows = await instances();
      expect(
        rows.filter((r) => r.flavour === 'small'),
        JSON.stringify(rows),
      ).toHaveLength(6);
      // Until one medium is left with every replica: the six smalls given back in turn.
      const [medium] = await eventually(async () => {
        const now = await instances();
        return now.length === 1 && now[0]!.flavour === 'medium' ? now : undefined;
      }, 240_000, async () => JSON.stringify(await instances())); // prettier-ignore
      for (const site of ['shop', 'blog', 'news']) await running(site, 2);
      expect(medium!.node).toBe('ready');
    });
    console.log(`six smalls replaced by a medium, under load: ${JSON.stringify(load)}`);
    expect(load.ranThrough, 'the load ran through the replace').toBe(true);
    expect(load.requests).toBeGreaterThan(100);
    expect(failuresOf(load)).toEqual(NOT_ONE_FAILED);
    const replaced = await consolidations();
    expect(replaced).toContainEqual(expect.stringMatching(/^replacing (\S+, ){5}\S+ of pool default by one medium: 6 nodes \(.*\) at 6\.00\/h hold 6 tasks that fit on one medium at 2\.20\/h; saves 3\.80\/h, moving 6 tasks \(score \d\.\d\d\)$/)); // prettier-ignore
  }, 600_000);
});
