/**
 * The proxy on a real cluster: a proxy node booted from the proxy package (`start -n
 * proxy`), Debian's nginx, and the route agent watching the manager's catalog. curl
 * and Debian's wrk (a second process, to the proxy's address only) check it from outside.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, eventually, run } from './support/test-cluster.js';
import { tarball } from './support/tarball.js';
import { NOT_ONE_FAILED, failuresOf, underLoad } from './support/under-load.js';

const IMAGE = 'container-page';
const work = mkdtempSync(join(tmpdir(), 'micado-proxy-'));
const SITE_CERT = join(work, 'site.pem');
const SITE_KEY = join(work, 'site.key');

describe('the proxy', () => {
  const cluster = new TestCluster();
  let proxy: { address: string; instance: string };

  /** What the proxy answers for `domain` and `path`: status and body, as curl sees them. */
  const ask = async (domain: string, path = '/') => {
    const answer = await run('curl', ['-s', '-m', '5', '-H', `Host: ${domain}`, '-w', '\n%{http_code}', `http://${proxy.address}${path}`]);
    const lines = answer.stdout.split('\n');
    return { status: Number(lines.pop()), body: lines.join('\n').trim() };
  }; // prettier-ignore
  /** How many instances the proxy routes `domain` to, by its route check (no request forwarded). */
  const peers = async (domain: string) => {
    const answer = await run('curl', ['-s', '-m', '5', '-o', '/dev/null', '-D', '-', '-H', `Host: ${domain}`, '-H', 'X-Micado-Route-Check: 1', `http://${proxy.address}/`]);
    return Number(/^x-micado-peers: *(\d+)/im.exec(answer.stdout)?.[1] ?? -1);
  }; // prettier-ignore

  beforeAll(async () => {
    expect((await cluster.micado('up')).code).toBe(0);
    for (const tag of ['w1', 'w2']) {
      const start = await cluster.micado('start', '-f', 'small', '-t', tag);
      expect(start.code, start.stderr).toBe(0);
    }
    // The certificate the proxy serves HTTPS with: self-signed for the test's domains.
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=shop.example', '-addext', 'subjectAltName=DNS:shop.example,DNS:blog.example',
      '-keyout', SITE_KEY, '-out', SITE_CERT]); // prettier-ignore
    const started = await cluster.micado('start', '-n', 'proxy', '-f', 'small', '-t', 'proxy01',
      '--certificate', SITE_CERT, '--key', SITE_KEY, '--json'); // prettier-ignore
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout + started.stderr).not.toContain('PRIVATE KEY');
    const { instance } = JSON.parse(started.stdout) as {
      instance: { id: string; address: string };
    };
    proxy = { address: instance.address, instance: instance.id };
    // A page that names the replica serving it: busybox's httpd.
    const file = await tarball(work, 'page.tar', [
      { name: `${IMAGE}/Dockerfile`, content: `FROM ${cluster.layout.baseImage}\nCMD mkdir -p /www/api && hostname > /www/index.html && cp /www/index.html /www/api/ && exec httpd -f -p \${PORT:-8080} -h /www\n` },
    ]); // prettier-ignore
    const build = await cluster.micado('build', '-n', IMAGE, '-f', file);
    expect(build.code, build.stderr).toBe(0);
  }, 240_000);

  afterAll(async () => {
    await cluster.destroy();
    rmSync(work, { recursive: true, force: true });
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('is a node of role proxy with no capacity, answering 404 for a Host with no route', async () => {
    const status = JSON.parse((await cluster.micado('status', '--json')).stdout);
    const node = status.nodes.find((n: { instance?: string }) => n.instance === proxy.instance);
    expect(node).toMatchObject({ role: 'proxy', capacity: { cpuMilli: 0, memoryMb: 0 } });
    expect((await ask('nothing.example')).status).toBe(404);
  });

  it('serves a launched container at its domain, and a second domain apart from it', async () => {
    const launch = await cluster.micado('launch', '-i', IMAGE, '-n', 'shop', '-d', 'shop.example', '--container-port', '8080');
    expect(launch.code, launch.stderr).toBe(0);
    const launched = Date.now();
    const page = await eventually(async () => {
      const answer = await ask('shop.example');
      return answer.status === 200 ? answer : undefined;
    }, 10_000);
    expect(page.body).toMatch(/^[0-9a-f]{12}$/);
    console.log(`launch returned -> shop.example answered: ${Date.now() - launched} ms`);
    const second = await cluster.micado('launch', '-i', IMAGE, '-n', 'blog', '-d', 'blog.example', '-p', '8081', '-e', 'PORT=8081');
    expect(second.code, second.stderr).toBe(0);
    const blog = await eventually(async () => {
      const answer = await ask('blog.example');
      return answer.status === 200 ? answer : undefined;
    }, 10_000);
    // Each domain is its own container: two replicas, two names.
    expect(blog.body).toMatch(/^[0-9a-f]{12}$/);
    expect(blog.body).not.toBe(page.body);
    // The same over HTTPS on 443, with the certificate given to the proxy.
    const https = await run('curl', ['-s', '-m', '5', '--cacert', SITE_CERT, '--resolve', `blog.example:443:${proxy.address}`, 'https://blog.example/']); // prettier-ignore
    expect(https.stdout.trim()).toBe(blog.body);
    const list = JSON.parse((await cluster.micado('list', '-c', '--json')).stdout) as { containers: { name: string; domain: string; proxied: string }[] };
    expect(list.containers.map((c) => [c.name, c.domain, c.proxied])).toEqual([
      ['container-shop', 'shop.example', 'served'],
      ['container-blog', 'blog.example', 'served'],
    ]); // prettier-ignore
    // -p is the instance's port: blog is published on 8081 of its node, and proxied there.
    const blogInfo = (await cluster.micado('info', '-s', 'container-blog')).stdout;
    expect(blogInfo).toMatch(/^ {2}upstream {5}\d+\.\d+\.\d+\.\d+:8081$/m); // answering: no mark
    expect((await ask('shop.example')).status).toBe(200);
  }); // prettier-ignore

  it("shares a domain between its client's containers by path prefix, and refuses a prefix taken and another client on any path of it", async () => {
    const api = await cluster.micado('launch', '-i', IMAGE, '-n', 'shop', '--container-name', 'container-shop-api', '-d', 'shop.example', '--path', '/api', '-p', '8083', '-e', 'PORT=8083');
    expect(api.code, api.stderr).toBe(0);
    const served = await eventually(async () => {
      const answer = await ask('shop.example', '/api/');
      return answer.status === 200 ? answer : undefined;
    }, 10_000);
    const shop = await ask('shop.example');
    expect(shop.status).toBe(200);
    expect(served.body).not.toBe(shop.body);
    const info = (await cluster.micado('info', '-s', 'container-shop-api')).stdout;
    expect(info).toMatch(/^ {2}domain {7}shop\.example\/api \(served\)$/m);
    expect(info).toMatch(/^ {2}upstream {5}\d+\.\d+\.\d+\.\d+:\d+$/m);
    const again = await cluster.micado('launch', '-i', IMAGE, '-n', 'shop', '--container-name', 'container-shop-api2', '-d', 'shop.example', '--path', '/api/', '-p', '8084');
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe('micado: shop.example/api is already served by container-shop-api: choose another path, or quit container-shop-api');
    // Another client takes no path of the domain: its users' cookies are the owner's.
    const thief = await cluster.micado('launch', '-i', IMAGE, '-n', 'thief', '-d', 'Shop.Example', '--path', '/login', '-p', '8085');
    expect([thief.code, thief.stderr.trim()]).toEqual([1, 'micado: domain Shop.Example belongs to client shop: choose another domain, or have the operator hand it over (micado client set -n thief --domain shop.example)']);
    expect((await cluster.manager().listServices()).map((s) => s.name)).not.toContain('container-thief');
    const quit = await cluster.micado('quit', '-n', 'container-shop-api', '--rm');
    expect(quit.code, quit.stderr).toBe(0);
    // What was under the prefix is the whole domain's again.
    expect(await eventually(async () => {
      const answer = await ask('shop.example', '/api/');
      return answer.body === shop.body ? answer : undefined;
    }, 10_000)).toMatchObject({ status: 200 });
  }); // prettier-ignore

  it('launches a domain on a port its image does not listen on, and info -s shows the upstream failing its check', async () => {
    const launch = await cluster.micado('launch', '-i', IMAGE, '-n', 'deaf', '-d', 'deaf.example', '-p', '8085');
    expect(launch.code, launch.stderr).toBe(0);
    const info = (await cluster.micado('info', '-s', 'container-deaf')).stdout;
    expect(info).toMatch(/^ {2}upstream {5}\d+\.\d+\.\d+\.\d+:8085 \(failing its check: connection (refused: nothing listens there|reset: nothing answers behind the port)\)$/m);
    const quit = await cluster.micado('quit', '-n', 'container-deaf', '--rm');
    expect(quit.code, quit.stderr).toBe(0);
    // Its route gone means nginx reloaded: no reload is left to land under the next test's load.
    await eventually(async () => ((await ask('deaf.example')).status === 404 ? true : undefined), 10_000);
  }); // prettier-ignore

  // A container with a domain publishes a node port per task (the engine's choice), so
  // five replicas share two workers; then one worker is given back under the load.
  it('keeps serving while the container scales 1 -> 5 -> 1 and a node is given back: no failed request, fair shares', async () => {
    const manager = cluster.manager();
    const running = async (count: number) =>
      eventually(async () => {
        const service = (await manager.listServices()).find((s) => s.name === 'container-shop')!;
        const tasks = await manager.listTasks({ service: [service.id], 'desired-state': ['running'] });
        return tasks.filter((t) => t.state === 'running').length === count || undefined;
      }, 60_000);
    const load = await underLoad(proxy.address, 'shop.example', async () => {
      await manager.updateService('container-shop', { replicas: 5 });
      await running(5);
      // The proxy routes to all five (its route check counts them), without a reload...
      await eventually(async () => ((await peers('shop.example')) === 5 || undefined), 30_000, async () => `the proxy routes shop.example to ${await peers('shop.example')} of 5`); // prettier-ignore
      // ...and each of them serves.
      const served = new Set<string>();
      await eventually(async () => {
        const answer = await ask('shop.example');
        if (answer.status === 200) served.add(answer.body);
        return served.size === 5 || undefined;
      }, 30_000, () => `served by ${served.size} of 5 replicas: ${[...served].join(' ')}`); // prettier-ignore
      // Shares while five run, from requests of the test's own beside the load.
      const counts = new Map<string, number>();
      for (let round = 0; round < 25; round++) {
        const bodies = await Promise.all(Array.from({ length: 8 }, () => ask('shop.example').then((a) => a.body)));
        for (const body of bodies) counts.set(body, (counts.get(body) ?? 0) + 1);
      }
      expect([...counts.keys()].sort()).toEqual([...served].sort());
      const mean = 200 / 5;
      for (const [replica, count] of counts) {
        expect(count, `replica ${replica} served ${count} of 200`).toBeGreaterThanOrEqual(mean / 2);
        expect(count, `replica ${replica} served ${count} of 200`).toBeLessThanOrEqual(mean * 2);
      }
      // w2 is given back: drained (its replicas start again on w1), stopped, removed.
      const stop = await cluster.micado('stop', '-t', 'w2');
      expect(stop.code, stop.stderr).toBe(0);
      await running(5);
      await manager.updateService('container-shop', { replicas: 1 });
      await running(1);
    });
    console.log(`1 -> 5 -> 1 and a node given back, under load: ${JSON.stringify(load)}`);
    expect(load.ranThrough, 'the load ran through every change').toBe(true);
    expect(load.requests).toBeGreaterThan(100);
    expect(failuresOf(load)).toEqual(NOT_ONE_FAILED);
  }, 180_000); // prettier-ignore

  it.each([
    ['a certificate without its key', ['-n', 'proxy', '--certificate', SITE_CERT], /^micado: give the proxy its certificate and key together: --certificate FILE --key FILE$/],
    ['a certificate for a worker', ['--certificate', SITE_CERT, '--key', SITE_KEY], /^micado: --certificate and --key are a proxy's: micado start -n proxy \.\.\.$/],
    ['a key for another certificate', ['-n', 'proxy', '--certificate', SITE_CERT, '--key', SITE_CERT], /^micado: \S+site\.pem is not a PEM private key \(unencrypted\)$/],
  ])('refuses %s in one line, starting nothing', async (_, args, message) => {
    // The machines there are (their usage may change meanwhile: the monitor measures).
    const machines = async () => (JSON.parse((await cluster.micado('list', '-i', '--json')).stdout) as { instances: { instance: string }[] }).instances.map((i) => i.instance); // prettier-ignore
    const before = await machines();
    const start = await cluster.micado('start', '-f', 'small', '-t', 'bad01', ...args);
    expect(start.code).toBe(2);
    expect(start.stderr.trim()).toMatch(message);
    expect(await machines()).toEqual(before);
  }); // prettier-ignore

  it('answers 503 naming the domain once its container is quit', async () => {
    const quit = await cluster.micado('quit', '-n', 'container-shop');
    expect(quit.code, quit.stderr).toBe(0);
    const answer = await eventually(async () => {
      const a = await ask('shop.example');
      return a.status === 503 ? a : undefined;
    }, 10_000);
    expect(answer.body).toBe('micado proxy: no running container serves shop.example');
  });

  it('keeps serving the last routes when the route agent is killed, and the restarted agent catches up', async () => {
    const root = join(cluster.config.stateDir, 'nodes', proxy.instance);
    const supervisor = Number(readFileSync(join(root, 'route-agent.supervisor.pid'), 'utf8'));
    /** The supervisor's child: the agent (found by its parent pid, the kernel's word). */
    const agentPid = () =>
      readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).find((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === supervisor &&
            readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('route-agent');
        } catch {
          return false;
        }
      });
    const first = agentPid()!;
    process.kill(first, 'SIGKILL');
    expect((await ask('shop.example')).status).toBe(503);
    const again = await eventually(async () => {
      const pid = agentPid();
      return pid && pid !== first ? pid : undefined;
    }, 10_000);
    expect(again).not.toBe(first);
    const relaunch = await cluster.micado('launch', '-i', IMAGE, '-n', 'news', '-d', 'news.example', '-p', '8082');
    expect(relaunch.code, relaunch.stderr).toBe(0);
    expect((await eventually(async () => {
      const a = await ask('news.example');
      return a.status === 502 || a.status === 200 || a.status === 503 ? a : undefined;
    }, 10_000)).status).not.toBe(404);
  }); // prettier-ignore
});
