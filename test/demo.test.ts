/**
 * The README's main job, exactly as a user runs it: `bash scripts/demo.sh`, on a
 * cluster of its own (state dir, name, bridge, subnet) with the default pool and the
 * embedded store. It must print the page fetched on the instance's port 8080 and
 * through the proxy by its domain, and fail in one line when the page does not answer.
 * The same cluster then serves the manual's launch line (-d with no -p) and a -p
 * container whose second replica needs a node of its own for its port.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestCluster, run, type CliResult } from './support/test-cluster.js';

const DEMO = join(import.meta.dirname, '../scripts/demo.sh');
const PAGE = '<h1>micado demo</h1>';

describe('the README demo', () => {
  const cluster = new TestCluster({
    pools: { default: { driver: 'local', flavour: 'small', min: 0, max: 4 } },
  });
  let proxy = '';

  const demo = () =>
    new Promise<CliResult>((resolve) =>
      execFile('bash', [DEMO], { env: cluster.env, timeout: 600_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      ),
    ); // prettier-ignore
  /** What the proxy answers for `domain`, as curl sees it (its body, or why none). */
  const throughProxy = async (domain: string) =>
    (await run('curl', ['-sS', '-m', '5', '-f', '--resolve', `${domain}:80:${proxy}`, `http://${domain}/`])).stdout.trim(); // prettier-ignore
  const containers = async () =>
    JSON.parse((await cluster.micado('list', '-c', '--json')).stdout).containers as {
      name: string;
      nodes: string[];
      ports: string[];
      proxied: string;
    }[];

  afterAll(async () => {
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('prints the page fetched on the instance port 8080 and through the proxy by its domain', async () => {
    const result = await demo();
    expect(result.code, result.stderr).toBe(0);
    const [, node] = /^container-demo answers on http:\/\/(\S+):8080\/:\n(.*)$/m.exec(result.stdout)!;
    expect(result.stdout).toContain(`container-demo answers on http://${node}:8080/:\n${PAGE}\n`);
    const [, address] = /^demo\.local answers through the proxy at (\S+):80 \(curl --resolve demo\.local:80:\1 http:\/\/demo\.local\/\):\n/m.exec(result.stdout)!;
    proxy = address!;
    expect(result.stdout).toContain(`http://demo.local/):\n${PAGE}\n`);
    // Checked again from here, not only by the script's own word.
    expect((await run('curl', ['-sS', '-m', '5', `http://${node}:8080/`])).stdout.trim()).toBe(PAGE);
    expect(await throughProxy('demo.local')).toBe(PAGE);
    const [demoContainer] = await containers();
    expect(demoContainer).toMatchObject({ name: 'container-demo', ports: ['8080->8080/tcp'], proxied: 'served' });
  }, 600_000); // prettier-ignore

  it("serves the manual's launch line, -d with no -p, on the port the image exposes", async () => {
    const launch = await cluster.micado('launch', '-i', 'container-demo', '-n', 'manual', '-d', 'manual.local', '--memory', '100m'); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    const manual = (await containers()).find((c) => c.name === 'container-manual')!;
    // The engine chose the node port; the container's is the image's EXPOSE 8080.
    expect(manual.ports).toEqual([expect.stringMatching(/^\d+->8080\/tcp$/)]);
    expect(manual.ports[0]).not.toMatch(/^8080->/);
    const answered = await new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + 20_000;
      const ask = async () => {
        const body = await throughProxy('manual.local');
        if (body === PAGE) return resolve(body);
        if (Date.now() > deadline) return reject(new Error(`manual.local answered ${body}`));
        setTimeout(ask, 200);
      };
      void ask();
    });
    expect(answered).toBe(PAGE);
  }, 120_000);

  it('refuses -d with no -p for an image that exposes no port, in one line, creating nothing', async () => {
    const before = (await containers()).map((c) => c.name);
    const launch = await cluster.micado('launch', '-i', 'micado/base', '-n', 'bare', '-d', 'bare.local');
    expect(launch.code).toBe(1);
    expect(launch.stderr).toBe("micado: image 'micado/base' exposes no port for the proxy to reach: give the port it listens on with -p PORT (or --container-port PORT)\n"); // prettier-ignore
    expect((await containers()).map((c) => c.name)).toEqual(before);
  }); // prettier-ignore

  it('starts a node for a replica pending on its -p port, though the first node has room', async () => {
    // Node port 9090 to the image's 8080: 50 MB each, so both would fit the first node.
    const launch = await cluster.micado('launch', '-i', 'container-demo', '-n', 'pair', '-p', '9090', '--container-port', '8080', '--memory', '50m', '--replicas', '2'); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    const pair = (await containers()).find((c) => c.name === 'container-pair')!;
    expect(pair).toMatchObject({ ports: ['9090->8080/tcp'] });
    expect(pair.nodes).toHaveLength(2);
    for (const node of pair.nodes) {
      const address = (await cluster.manager().listNodes()).find(
        (n) => n.hostname === node,
      )!.address;
      expect((await run('curl', ['-sS', '-m', '5', `http://${address}:9090/`])).stdout.trim()).toBe(
        PAGE,
      );
    }
    const events = JSON.parse((await cluster.micado('events', '--json')).stdout) as { action: string; message: string }[]; // prettier-ignore
    expect(events).toContainEqual(expect.objectContaining({ action: 'scale-up', message: expect.stringMatching(/ for container-pair$/) })); // prettier-ignore
  }, 300_000);

  it('fails in one line, naming what did not answer, when the page does not', async () => {
    const quit = await cluster.micado('quit', '-n', 'container-demo', '--rm');
    expect(quit.code, quit.stderr).toBe(0);
    // The same container, its command broken: it runs and serves nothing.
    const launch = await cluster.micado('launch', '-i', 'container-demo', '-n', 'demo', '-p', '8080', '--memory', '300m', '-d', 'demo.local', '-s', 'sleep', '-a', '3600'); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    const result = await demo();
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^demo: container-demo did not answer on its node's port, http:\/\/\S+:8080\/ \(curl: \(\d+\) .*\)$/,
      ),
    ]);
  }, 300_000);
});
