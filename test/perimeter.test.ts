/**
 * The perimeter, tried as an attacker on the host would: the registry with no account
 * or with the nodes' account; no secret of a node's boot on any process's command
 * line; and a node joined by hand with the join token, claiming to be one of the
 * cluster's machines, removed from the swarm at once.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyLocalHost, type LocalHostRecord } from '../src/namespace-host/local-host.js';
import { NODE_LABEL } from '../src/swarm/labels.js';
import { bareNode } from './support/bare-node.js';
import { readRegistryAccounts, type RegistryAccount } from '../src/cluster/registry-accounts.js';
import { pushName, registryPushApi } from '../src/cluster/private-registry.js';
import { TestCluster, eventually, run } from './support/test-cluster.js';

function tarOf(files: Record<string, string>): Readable {
  const tar = pack();
  for (const [name, content] of Object.entries(files)) tar.entry({ name }, content);
  tar.finalize();
  return Readable.from(tar);
}

/** A request to the registry as anyone could send it: no CA check, any account or none. */
function ask(address: string, method: string, path: string, account?: RegistryAccount) {
  const authorization = account ? { authorization: `Basic ${Buffer.from(`${account.username}:${account.password}`).toString('base64')}` } : {}; // prettier-ignore
  return new Promise<number>((resolve, reject) => {
    const req = request(
      `https://${address}${path}`,
      { method, rejectUnauthorized: false, headers: authorization, timeout: 5000 },
      (res) => {
        // prettier-ignore
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the perimeter', () => {
  const cluster = new TestCluster();
  const handMade: LocalHostRecord[] = [];

  beforeAll(async () => {
    // The manager's listener off loopback too, on the host's end of micado's bridge.
    const gateway = cluster.layout.gatewayCidr.split('/')[0]!;
    cluster.configure({ manager: { listen: `${gateway}:${cluster.config.manager.listen.split(':')[1]}` } }); // prettier-ignore
    const up = await cluster.micado('up');
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    // Every hand-made host is stopped before their directories go (they share a parent).
    for (const host of handMade) await destroyLocalHost(host, 5_000).catch(() => undefined);
    for (const host of handMade) rmSync(join(host.dir, '..'), { recursive: true, force: true });
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('boots ten nodes with no join token, key, password or read token on any command line, and leaves no token file behind', async () => {
    const { worker: first } = await cluster.manager().joinTokens();
    // Every token any boot is given (rotated after each), and every other secret of the cluster's.
    const tokens = new Set([first]);
    const { pull, push } = readRegistryAccounts(cluster.layout.registryDir);
    const secrets = [pull.password, push.password, readFileSync(join(cluster.config.stateDir, 'read.token'), 'utf8').trim()];
    // Every process's command line, read from /proc as fast as it can be while nodes boot.
    const seen = new Set<string>();
    let booting = true;
    let samples = 0;
    const sampling = (async () => {
      while (booting) {
        for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
          try {
            const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
            // A token or password itself, or a PEM key (as text, or base64 as a --tls bundle carries it).
            if ([...tokens, ...secrets].some((t) => line.includes(t)) || /PRIVATE KEY|LS0tLS1CRUdJTi/.test(line)) seen.add(line); // prettier-ignore
          } catch {
            // gone meanwhile
          }
        }
        samples++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const started: string[] = [];
    const seconds: number[] = [];
    for (let n = 1; n <= 10; n++) {
      const start = await cluster.micado('start', '-f', 'small', '-t', `w${n}`, '--json');
      expect(start.code, start.stderr).toBe(0);
      started.push(JSON.parse(start.stdout).instance.id as string);
      seconds.push(JSON.parse(start.stdout).seconds as number);
      tokens.add((await cluster.manager().joinTokens()).worker);
    }
    console.log(`start -> Ready, labelled, token rotated: ${seconds.map((s) => `${(s * 1000).toFixed(0)} ms`).join(', ')}`); // prettier-ignore
    booting = false;
    await sampling;
    expect(samples).toBeGreaterThan(10);
    // A new worker token after every boot: eleven in all.
    expect(tokens.size).toBe(11);
    expect([...seen]).toEqual([]);
    for (const id of started)
      expect(existsSync(join(cluster.config.stateDir, 'nodes', id, 'join-token'))).toBe(false);
  }); // prettier-ignore

  it('rotates the worker join token once a start is done: one read before it joins nothing', async () => {
    const manager = cluster.manager();
    const { worker: before } = await manager.joinTokens();
    const start = await cluster.micado('start', '-f', 'small', '-t', 'rotated', '--json');
    expect(start.code, start.stderr).toBe(0);
    const { worker: after } = await manager.joinTokens();
    expect(after).not.toBe(before);
    await expect(bareNode(cluster, 2, { token: before }, handMade, 'stale', {}, false)).rejects.toThrow(/token|invalid|denied/i); // prettier-ignore
    expect((await manager.listNodes({ role: ['worker'] })).map((n) => n.address)).not.toContain(handMade.at(-1)!.address); // prettier-ignore
    const stop = await cluster.micado('stop', '-t', 'rotated');
    expect(stop.code, stop.stderr).toBe(0);
  }, 60_000);

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

  describe('the registry', () => {
    it('answers no request without an account, and nothing over plain HTTP', async () => {
      const { registry, registryPush } = cluster.layout;
      for (const address of [registry, registryPush]) {
        expect(await ask(address, 'GET', '/v2/_catalog')).toBe(401);
        expect(await ask(address, 'GET', '/v2/micado/base/manifests/latest')).toBe(401);
        expect(await ask(address, 'POST', '/v2/micado/base/blobs/uploads/')).toBe(401);
        expect(await ask(address, 'DELETE', '/v2/micado/base/manifests/sha256:' + '0'.repeat(64))).toBe(401); // prettier-ignore
        const plain = await new Promise<string>((resolve) => {
          const req = plainRequest(`http://${address}/v2/_catalog`, { timeout: 5000 }, (res) => resolve(String(res.statusCode))); // prettier-ignore
          req.on('error', (err) => resolve(err.message));
          req.end();
        });
        expect(plain).not.toBe('200');
      }
    });

    it("lets the nodes' account read, and nothing else, anywhere", async () => {
      const { registry, registryPush } = cluster.layout;
      const { pull } = readRegistryAccounts(cluster.layout.registryDir);
      expect(await ask(registry, 'GET', '/v2/micado/base/manifests/latest', pull)).toBe(200);
      // Writes and deletes on the side nodes reach are refused to any account.
      expect(await ask(registry, 'POST', '/v2/container-victim/blobs/uploads/', pull)).toBe(405);
      const digest = await registryPushApi(cluster.layout).digest('micado/base', 'latest');
      expect(await ask(registry, 'DELETE', `/v2/micado/base/manifests/${digest}`, pull)).toBe(405);
      // The manager's side does not know the nodes' account.
      expect(await ask(registryPush, 'GET', '/v2/_catalog', pull)).toBe(401);
      expect(await ask(registryPush, 'POST', '/v2/container-victim/blobs/uploads/', pull)).toBe(
        401,
      );
    });

    it('runs a launched container by digest: a later push under its tag changes nothing until the next launch', async () => {
      const manager = cluster.manager();
      const { pull } = readRegistryAccounts(cluster.layout.registryDir);
      const image = `${cluster.layout.registry}/container-victim:latest`;
      const pushed = pushName(cluster.layout, image);
      // The victim's image, and the one an attacker holding the push side would put over it.
      for (const [repository, from] of [[pushed, cluster.layout.baseImage]] as const) {
        await manager.tagImage(from, repository.replace(/:latest$/, ''), 'latest');
        await manager.pushImage(repository);
      }
      const first = await registryPushApi(cluster.layout).digest('container-victim', 'latest');
      const launch = await cluster.micado('launch', '-i', 'container-victim', '-n', 'container-victim', '-s', 'sleep', '-a', '600', '--memory', '32m'); // prettier-ignore
      expect(launch.code, launch.stderr).toBe(0);
      const service = await manager.inspectService('container-victim');
      expect(service.image).toBe(`${image}@${first}`);
      // A different image under the same tag.
      await manager.buildImage(
        tarOf({ Dockerfile: `FROM ${cluster.layout.baseImage}\nRUN echo other > /other\n` }),
        pushed,
      );
      await manager.pushImage(pushed);
      const second = await registryPushApi(cluster.layout).digest('container-victim', 'latest');
      expect(second).not.toBe(first);
      expect((await manager.inspectService('container-victim')).image).toBe(`${image}@${first}`);
      // What Swarm shows of the service, through the docker CLI, holds no password.
      const inspected = execFileSync('docker', ['-H', `unix://${cluster.layout.managerSocket}`, 'service', 'inspect', 'container-victim'], { encoding: 'utf8' }); // prettier-ignore
      expect(inspected).toContain(first!);
      expect(inspected).not.toContain(pull.password);
      expect(inspected).not.toContain(Buffer.from(pull.password).toString('base64').slice(0, 16));
      await cluster.micado('remove', '-n', 'container-victim');
    }, 120_000);
  });

  describe('the listeners off loopback', () => {
    /** The status of `url` as curl gets it (trusting the cluster's CA), with `headers`. */
    const status = async (url: string, headers: Record<string, string> = {}) =>
      (await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', cluster.layout.tls.caCert,
        ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url])).stdout; // prettier-ignore
    const tokens = () => ({
      read: readFileSync(join(cluster.config.stateDir, 'read.token'), 'utf8').trim(),
      operator: readFileSync(join(cluster.config.stateDir, 'dashboard.token'), 'utf8').trim(),
    });

    it("answers the manager's paths to no one without a token, and only over TLS", async () => {
      const base = `https://${cluster.config.manager.listen}`;
      for (const path of [
        '/metrics',
        '/v1/catalog/services',
        '/prometheus/targets',
        '/dashboard/state',
      ])
        expect([path, await status(`${base}${path}`)]).toEqual([path, '401']);
      expect(await status(`${base}/healthz`)).toBe('200');
      expect(await status(`http://${cluster.config.manager.listen}/metrics`)).not.toBe('200');
    });

    it('opens the catalog and the metrics to the read token, and the dashboard to the operator token only', async () => {
      const base = `https://${cluster.config.manager.listen}`;
      const { read, operator } = tokens();
      expect(read).not.toBe(operator);
      for (const path of ['/metrics', '/v1/catalog/services', '/prometheus/targets'])
        expect([path, await status(`${base}${path}`, { authorization: `Bearer ${read}` })]).toEqual(
          [path, '200'],
        );
      expect(await status(`${base}/dashboard/state`, { authorization: `Bearer ${read}` })).toBe(
        '401',
      );
      expect(await status(`${base}/dashboard/state`, { authorization: `Bearer ${operator}` })).toBe(
        '200',
      );
    });

    it("answers the catalog's own listener to no one without the read token", async () => {
      const base = `https://${cluster.layout.catalogListen}`;
      expect(await status(`${base}/v1/catalog/services`)).toBe('403');
      expect(await status(`${base}/v1/catalog/services`, { 'X-Consul-Token': tokens().read })).toBe(
        '200',
      );
    });

    it('sets a Secure session cookie that is not the token', async () => {
      const { operator } = tokens();
      const login = await run('curl', ['-sS', '-o', '/dev/null', '-D', '-', '--cacert', cluster.layout.tls.caCert, '--data-urlencode', `token=${operator}`, `https://${cluster.config.manager.listen}/dashboard/login`]); // prettier-ignore
      const cookie = /^set-cookie: (.*)$/im.exec(login.stdout)?.[1] ?? '';
      expect(cookie).toMatch(/HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+; Secure/);
      expect(cookie).not.toContain(operator);
    });
  });
});
