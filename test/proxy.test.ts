/**
 * The proxy on a real cluster: a proxy node booted from the proxy package (`start -n
 * proxy`), Debian's nginx, and the route agent watching the manager's catalog. curl
 * and autocannon (a second process, to the proxy's address only) check it from outside.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, eventually, run } from './support/test-cluster.js';
import { tarball } from './support/tarball.js';

const IMAGE = 'container-page';
const work = mkdtempSync(join(tmpdir(), 'micado-proxy-'));
const AUTOCANNON = join(import.meta.dirname, '../node_modules/.bin/autocannon');

describe('the proxy', () => {
  const cluster = new TestCluster();
  let proxy: { address: string; instance: string };

  /** What the proxy answers for `domain`: status and body, as curl sees them. */
  const ask = async (domain: string) => {
    const answer = await run('curl', ['-s', '-m', '5', '-H', `Host: ${domain}`, '-w', '\n%{http_code}', `http://${proxy.address}/`]);
    const lines = answer.stdout.split('\n');
    return { status: Number(lines.pop()), body: lines.join('\n').trim() };
  }; // prettier-ignore

  beforeAll(async () => {
    expect((await cluster.micado('up')).code).toBe(0);
    for (const tag of ['w1', 'w2']) {
      const start = await cluster.micado('start', '-f', 'small', '-t', tag);
      expect(start.code, start.stderr).toBe(0);
    }
    const started = await cluster.micado(
      'start',
      '-n',
      'proxy',
      '-f',
      'small',
      '-t',
      'proxy01',
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    const { instance } = JSON.parse(started.stdout) as {
      instance: { id: string; address: string };
    };
    proxy = { address: instance.address, instance: instance.id };
    // A page that names the replica serving it: busybox's httpd.
    const file = await tarball(work, 'page.tar', [
      { name: `${IMAGE}/Dockerfile`, content: `FROM ${cluster.layout.baseImage}\nCMD mkdir -p /www && hostname > /www/index.html && exec httpd -f -p \${PORT:-8080} -h /www\n` },
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
    const launch = await cluster.micado('launch', '-i', IMAGE, '-n', 'shop', '-d', 'shop.example', '-p', '8080');
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
    const list = JSON.parse((await cluster.micado('list', '-c', '--json')).stdout) as { containers: { name: string; domain: string; proxied: string }[] };
    expect(list.containers.map((c) => [c.name, c.domain, c.proxied])).toEqual([
      ['container-shop', 'shop.example', 'served'],
      ['container-blog', 'blog.example', 'served'],
    ]); // prettier-ignore
    expect((await ask('shop.example')).status).toBe(200);
  }); // prettier-ignore

  // A published port is bound on the node a task runs on (host mode): one replica per
  // worker, so two workers carry 1 -> 2 -> 1.
  it('keeps serving while the container scales 1 -> 2 -> 1: no failed answer, both replicas serve', async () => {
    const load = new Promise<{ stdout: string }>((resolve) =>
      execFile(AUTOCANNON, ['-j', '-c', '8', '-d', '15', '-H', 'Host: shop.example', `http://${proxy.address}/`],
        { maxBuffer: 16 * 1024 * 1024 }, (_error, stdout) => resolve({ stdout })),
    ); // prettier-ignore
    const manager = cluster.manager();
    const running = async (count: number) =>
      eventually(async () => {
        const service = (await manager.listServices()).find((s) => s.name === 'container-shop')!;
        const tasks = await manager.listTasks({ service: [service.id], 'desired-state': ['running'] });
        return tasks.filter((t) => t.state === 'running').length === count || undefined;
      }, 60_000);
    await new Promise((r) => setTimeout(r, 2_000));
    await manager.updateService('container-shop', { replicas: 2 });
    await running(2);
    const served = new Set<string>();
    await eventually(async () => {
      served.add((await ask('shop.example')).body);
      return served.size === 2 || undefined;
    }, 10_000);
    await manager.updateService('container-shop', { replicas: 1 });
    const report = JSON.parse((await load).stdout) as { errors: number; timeouts: number; non2xx: number; requests: { total: number } };
    expect(report.requests.total).toBeGreaterThan(100);
    // No answer was a failure. Connection errors are reported, not asserted: a reload
    // closes keep-alive connections that sit idle between two requests, and a request
    // sent at that moment is lost to a client that does not retry (autocannon). Making
    // route changes need no reload is the open part of this work.
    expect({ timeouts: report.timeouts, non2xx: report.non2xx }).toEqual({ timeouts: 0, non2xx: 0 });
    console.log(`1 -> 2 -> 1 under load: ${report.requests.total} requests, ${report.errors} connection error(s)`);
  }, 120_000); // prettier-ignore

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
