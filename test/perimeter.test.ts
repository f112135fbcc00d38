/**
 * The perimeter, tried as an attacker on the host would: no secret of a node's boot
 * on any process's command line, and a node joined by hand with the join token, claiming
 * to be one of the cluster's machines, removed from the swarm at once.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyLocalHost, type LocalHostRecord } from '../src/namespace-host/local-host.js';
import { NODE_LABEL } from '../src/swarm/labels.js';
import { bareNode } from './support/bare-node.js';
import { TestCluster, eventually } from './support/test-cluster.js';

describe('the perimeter', () => {
  const cluster = new TestCluster();
  const handMade: LocalHostRecord[] = [];

  beforeAll(async () => {
    const up = await cluster.micado('up');
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    for (const host of handMade) {
      await destroyLocalHost(host, 5_000).catch(() => undefined);
      rmSync(join(host.dir, '..'), { recursive: true, force: true });
    }
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('boots nodes with no join token or key on any command line, and leaves no token file behind', async () => {
    const { worker: token } = await cluster.manager().joinTokens();
    // Every process's command line, read from /proc as fast as it can be while nodes boot.
    const seen = new Set<string>();
    let booting = true;
    let samples = 0;
    const sampling = (async () => {
      while (booting) {
        for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
          try {
            const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
            // The token itself, or a PEM key (as text, or base64 as a --tls bundle carries it).
            if (line.includes(token) || /PRIVATE KEY|LS0tLS1CRUdJTi/.test(line)) seen.add(line);
          } catch {
            // gone meanwhile
          }
        }
        samples++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const started: string[] = [];
    for (const tag of ['w1', 'w2', 'w3']) {
      const start = await cluster.micado('start', '-f', 'small', '-t', tag, '--json');
      expect(start.code, start.stderr).toBe(0);
      started.push(JSON.parse(start.stdout).instance.id as string);
    }
    booting = false;
    await sampling;
    expect(samples).toBeGreaterThan(10);
    expect([...seen]).toEqual([]);
    for (const id of started)
      expect(existsSync(join(cluster.config.stateDir, 'nodes', id, 'join-token'))).toBe(false);
  }); // prettier-ignore

  it("removes a node joined by hand with the join token and a machine's name within 10 s, recording it", async () => {
    const manager = cluster.manager();
    const { worker: token } = await manager.joinTokens();
    const victim = (await manager.listNodes({ role: ['worker'] })).find((n) => n.labels[NODE_LABEL.tag] === 'w1')!; // prettier-ignore
    const claim = victim.labels[NODE_LABEL.instance]!;
    const joined = Date.now();
    const rogue = await bareNode(cluster, 1, { token }, handMade, 'rogue', { [NODE_LABEL.instance]: claim }, false);
    await eventually(async () => {
      const nodes = await manager.listNodes({ role: ['worker'] });
      return nodes.some((n) => n.address === rogue.address) ? undefined : true;
    }, 10_000);
    console.log(`a rogue node joined -> removed from the swarm: ${Date.now() - joined} ms`);
    // The machine it claimed is still the cluster's, and its node still there.
    expect((await manager.listNodes({ role: ['worker'] })).map((n) => n.id)).toContain(victim.id);
    const events = JSON.parse((await cluster.micado('events', '--json')).stdout) as { action: string; message: string }[]; // prettier-ignore
    expect(events).toContainEqual(expect.objectContaining({ action: 'rogue-node', message: expect.stringContaining(`(it claims ${claim}): removed from the swarm`) })); // prettier-ignore
  }, 60_000); // prettier-ignore
});
