/**
 * Proxy benchmarks on a real cluster, side by side in one run:
 * - launch returning -> its domain answering through the proxy (median of 5).
 * - a route removed (quit) -> nginx reloaded without it, as a client sees it.
 * - a replica added -> the proxy sends it requests (no reload: the Lua balancer).
 * - throughput of a page through the proxy, next to the same page asked of the
 *   container directly, and to the proxy's nginx answering by itself (Debian's wrk,
 *   10 s each, same connections).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster, run } from '../test/support/test-cluster.js';
import { tarball } from '../test/support/tarball.js';
import { median, ms } from './measure.js';

const WRK_REPORT = join(import.meta.dirname, '../test/support/wrk-report.lua');

export async function benchProxy(): Promise<string[][]> {
  const cluster = new TestCluster();
  const work = mkdtempSync(join(tmpdir(), 'micado-bench-proxy-'));
  const cli = async (...args: string[]) => {
    const result = await cluster.micado(...args);
    if (result.code !== 0) throw new Error(`micado ${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  try {
    await cli('up');
    await cli('start', '-f', 'small', '-t', 'w1');
    const started = JSON.parse(
      (await cli('start', '-n', 'proxy', '-f', 'small', '-t', 'p1', '--json')).stdout,
    );
    const proxy = started.instance.address as string;
    const file = await tarball(work, 'page.tar', [
      { name: 'container-page/Dockerfile', content: `FROM ${cluster.layout.baseImage}\nCMD mkdir -p /www && hostname > /www/index.html && exec httpd -f -p \${PORT:-8080} -h /www\n` },
    ]); // prettier-ignore
    await cli('build', '-n', 'container-page', '-f', file);
    const status = async (domain: string) =>
      Number((await run('curl', ['-s', '-o', '/dev/null', '-m', '2', '-w', '%{http_code}', '-H', `Host: ${domain}`, `http://${proxy}/`])).stdout); // prettier-ignore
    const until = async (domain: string, code: number) => {
      const start = Date.now();
      while ((await status(domain)) !== code) {
        if (Date.now() - start > 30_000) throw new Error(`${domain} never answered ${code}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return Date.now() - start;
    };
    const answered: number[] = [];
    const withdrawn: number[] = [];
    for (let i = 0; i < 5; i++) {
      const port = String(8100 + i);
      await cli(
        'launch',
        '-i',
        'container-page',
        '-n',
        `b${i}`,
        '-d',
        `b${i}.example`,
        '-p',
        port,
        '-e',
        `PORT=${port}`,
      );
      answered.push(await until(`b${i}.example`, 200));
      await cli('quit', '-n', `container-b${i}`, '--rm');
      withdrawn.push(await until(`b${i}.example`, 404));
    }
    await cli(
      'launch',
      '-i',
      'container-page',
      '-n',
      'tp',
      '-d',
      'tp.example',
      '--container-port',
      '8200',
      '-e',
      'PORT=8200',
    );
    await until('tp.example', 200);
    // Replicas come and go without a reload: 1 -> 2, until the new one answers too.
    const seenBy = new Set<string>();
    const page = async () => (await run('curl', ['-s', '-m', '2', '-H', 'Host: tp.example', `http://${proxy}/`])).stdout.trim(); // prettier-ignore
    seenBy.add(await page());
    const scaled = performance.now();
    await cluster.manager().updateService('container-tp', { replicas: 2 });
    while (seenBy.size < 2) {
      if (performance.now() - scaled > 30_000) throw new Error('the second replica never answered');
      seenBy.add(await page());
    }
    const joined = performance.now() - scaled;
    await cluster.manager().updateService('container-tp', { replicas: 1 });
    const [worker] = await cluster.manager().listNodes({ role: ['worker'] });
    // The container's own port on its node: the engine's choice (it has a domain).
    const listed = JSON.parse((await cli('list', '-c', '--json')).stdout) as { containers: { name: string; ports: string[] }[] }; // prettier-ignore
    const direct = /^(\d+)->/.exec(listed.containers.find((c) => c.name === 'container-tp')!.ports[0]!)![1]; // prettier-ignore
    /** Requests per second by Debian's wrk: 2 threads, 16 connections, 10 s. */
    const load = async (url: string, host?: string) => {
      const result = await run('wrk', ['-t', '2', '-c', '16', '-d', '10', '-s', WRK_REPORT, ...(host ? ['-H', `Host: ${host}`] : []), url]); // prettier-ignore
      const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) throw new Error(`wrk: ${result.stderr || result.stdout}`);
      return (JSON.parse(line) as { requests: number }).requests / 10;
    };
    const fromContainer = await load(`http://${worker!.address}:${direct}/`);
    const proxied = await load(`http://${proxy}/`, 'tp.example');
    const byItself = await load(`http://${proxy}/`, 'nothing.example');
    return [
      ['launch returned -> domain answers through the proxy (median of 5)', ms(median(answered)), `goal < 1000 ms; max ${ms(Math.max(...answered))}`],
      ['quit returned -> the domain gone from nginx (median of 5)', ms(median(withdrawn)), 'a route removed: render, nginx -t, reload; goal < 300 ms'],
      ['replicas 1 -> 2: update returned -> the new replica answers', ms(joined), 'no reload: the balancer is told'],
      ['requests/s through the proxy (wrk, 16 connections, 10 s)', proxied.toFixed(0), `proxy/direct = ${(proxied / fromContainer).toFixed(2)}`],
      ['requests/s from the container directly (busybox httpd)', fromContainer.toFixed(0), ''],
      ['requests/s of the proxy nginx answering by itself (its 404 page)', byItself.toFixed(0), 'its ceiling here: the page, not nginx, sets the pace'],
    ]; // prettier-ignore
  } finally {
    await cluster.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}
