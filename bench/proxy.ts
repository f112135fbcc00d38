/**
 * Proxy benchmarks on a real cluster, side by side in one run:
 * - launch returning -> its domain answering through the proxy (median of 5).
 * - a route change seen by a client: quit returning -> the domain answering 503.
 * - throughput of a page through the proxy, next to the same page asked of the
 *   container directly (autocannon, 10 s each, same connections).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster, run } from '../test/support/test-cluster.js';
import { tarball } from '../test/support/tarball.js';
import { median, ms } from './measure.js';

const AUTOCANNON = join(import.meta.dirname, '../node_modules/.bin/autocannon');

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
      '-p',
      '8200',
      '-e',
      'PORT=8200',
    );
    await until('tp.example', 200);
    const [worker] = await cluster.manager().listNodes({ role: ['worker'] });
    const load = (url: string, host?: string) =>
      new Promise<number>((resolve, reject) =>
        execFile(AUTOCANNON, ['-j', '-c', '16', '-d', '10', ...(host ? ['-H', `Host: ${host}`] : []), url], { maxBuffer: 1 << 24 },
          (error, stdout) => (error ? reject(error) : resolve((JSON.parse(stdout) as { requests: { average: number } }).requests.average))),
      ); // prettier-ignore
    const direct = await load(`http://${worker!.address}:8200/`);
    const proxied = await load(`http://${proxy}/`, 'tp.example');
    return [
      ['launch returned -> domain answers through the proxy (median of 5)', ms(median(answered)), `goal < 1000 ms; max ${ms(Math.max(...answered))}`],
      ['quit returned -> the proxy stops routing the domain (median of 5)', ms(median(withdrawn)), 'route change -> reload, seen by a client'],
      ['requests/s through the proxy (16 connections, 10 s)', proxied.toFixed(0), `proxy/direct = ${(proxied / direct).toFixed(2)}`],
      ['requests/s from the container directly (busybox httpd)', direct.toFixed(0), ''],
    ]; // prettier-ignore
  } finally {
    await cluster.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}
