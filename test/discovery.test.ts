/**
 * The service catalog on a real cluster, read by clients no one here wrote: the
 * consul npm client (a blocking watch, on the manager's loopback listener), and, on the
 * catalog's own listener off loopback (TLS from the cluster's CA, the read token),
 * Debian's python3-consul and Debian's Prometheus discovering a container and scraping
 * it (through http_sd_configs: Debian builds Prometheus without consul_sd_configs,
 * "until its Debian package is back in shape", says its changelog). The
 * same read assertions run against a real Consul agent the manager registers into
 * when MICADO_TEST_CONSUL_URL is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Consul from 'consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, eventually, run } from './support/test-cluster.js';
import { tarball } from './support/tarball.js';

/** The image serving metrics, and the container launched from it for client shop. */
const IMAGE = 'container-metrics';
const SERVICE = 'container-shop';
const work = mkdtempSync(join(tmpdir(), 'micado-discovery-'));
/** A real Consul agent to register into, when one is given. */
const REAL_CONSUL = process.env.MICADO_TEST_CONSUL_URL;

describe('service discovery', () => {
  const cluster = new TestCluster();
  let listen: string;
  let consul: Consul;
  let prometheus: ChildProcess | undefined;

  beforeAll(async () => {
    if (REAL_CONSUL) cluster.configure({ discovery: { consulUrl: REAL_CONSUL } });
    listen = cluster.config.manager.listen;
    const [host, port] = listen.split(':');
    consul = new Consul({ host, port: Number(port) });
    expect((await cluster.micado('up')).code).toBe(0);
    const start = await cluster.micado('start', '-f', 'small', '-t', 'disc01');
    expect(start.code, start.stderr).toBe(0);
    // A container that serves Prometheus metrics: busybox's httpd over one file.
    const file = await tarball(work, 'metrics.tar', [
      { name: `${IMAGE}/Dockerfile`, content: `FROM ${cluster.layout.baseImage}\nCOPY metrics /www/metrics\nCMD ["httpd", "-f", "-p", "9100", "-h", "/www"]\n` },
      { name: `${IMAGE}/metrics`, content: '# TYPE shop_orders_total counter\nshop_orders_total 42\n' },
    ]); // prettier-ignore
    const build = await cluster.micado('build', '-n', IMAGE, '-f', file);
    expect(build.code, build.stderr).toBe(0);
  });

  afterAll(async () => {
    // Prometheus, by the pid it was started with (it may have exited on its own).
    if (prometheus?.exitCode === null && prometheus.pid) process.kill(prometheus.pid);
    await cluster.destroy();
    rmSync(work, { recursive: true, force: true });
    expect(await cluster.leftovers()).toEqual([]);
  });

  /** The node port the engine chose for the container's task (it has a domain). */
  const publishedPort = async () => {
    const [task] = await cluster.manager().listTasks({ service: [SERVICE], 'desired-state': ['running'] });
    const port = task?.ports.find((p) => p.target === 9100)?.published;
    expect(port).toBeGreaterThan(0);
    return port!;
  }; // prettier-ignore

  it('shows a launched container to a blocking watcher, with its client, domain and address', async () => {
    const watch = consul.watch({ method: consul.health.service, options: { service: SERVICE, passing: 'true' } as never });
    const passing = new Promise<{ Service: { Address: string; Port: number; Tags: string[] } }[]>((resolve) =>
      watch.on('change', (entries: { Service: { Address: string; Port: number; Tags: string[] } }[]) => {
        if (entries.length > 0) resolve(entries);
      }),
    );
    watch.on('error', () => undefined);
    const launch = await cluster.micado('launch', '-i', IMAGE, '-n', 'shop', '-d', 'shop.example', '--container-port', '9100');
    expect(launch.code, launch.stderr).toBe(0);
    const [entry] = await passing;
    watch.end();
    const [worker] = await cluster.manager().listNodes({ role: ['worker'] });
    const port = await publishedPort();
    expect(entry!.Service).toMatchObject({ Address: worker!.address, Port: port });
    expect(entry!.Service.Tags).toEqual([`client=shop`, `image=${IMAGE}`, 'domain=shop.example']);
    const info = JSON.parse((await cluster.micado('info', '-s', SERVICE, '--json')).stdout);
    expect(info.catalog.instances).toEqual([expect.objectContaining({ address: worker!.address, port, passing: true })]);
    const services = await cluster.micado('services', '--json');
    expect(JSON.parse(services.stdout).services).toEqual([
      expect.objectContaining({ name: SERVICE, client: 'shop', domain: 'shop.example', instances: [expect.objectContaining({ passing: true, port })] }),
    ]); // prettier-ignore
  }); // prettier-ignore

  // The contract: micado's own API always, a real Consul it registers into when given.
  const catalogs = [
    ['micado', () => `http://${listen}`],
    ...(REAL_CONSUL ? [['a real Consul', () => REAL_CONSUL.replace(/\/$/, '')] as const] : []),
  ] as const;
  it.each(catalogs)('serves the same catalog through %s', async (_, base) => {
    const [worker] = await cluster.manager().listNodes({ role: ['worker'] });
    const read = async (path: string) => (await fetch(`${base()}${path}`)).json();
    const seen = await eventually(async () => {
      const services = (await read('/v1/catalog/services')) as Record<string, string[]>;
      return services[SERVICE] ? services : undefined;
    });
    expect(seen[SERVICE]?.sort()).toEqual(
      ['client=shop', `image=${IMAGE}`, 'domain=shop.example'].sort(),
    );
    const health = (await read(`/v1/health/service/${SERVICE}?passing`)) as {
      Node: { Node: string };
      Service: { Address: string; Port: number; Meta: Record<string, string> };
      Checks: { Status: string }[];
    }[];
    expect(health).toHaveLength(1);
    expect(health[0]!.Node.Node).toBe(worker!.hostname);
    expect(health[0]!.Service).toMatchObject({
      Address: worker!.address,
      Port: await publishedPort(),
    });
    expect(health[0]!.Service.Meta).toMatchObject({ client: 'shop', domain: 'shop.example' });
    expect(health[0]!.Checks.every((c) => c.Status === 'passing')).toBe(true);
    expect(await read('/v1/catalog/service/no-such-service')).toEqual([]);
  });

  it('refuses a second container for a domain already served, creating nothing', async () => {
    const launch = await cluster.micado('launch', '-i', IMAGE, '-n', 'rival', '-d', 'Shop.Example');
    expect(launch.code).toBe(1);
    expect(launch.stderr.trim()).toBe(
      'micado: domain Shop.Example belongs to client shop: choose another domain, or have the operator hand it over (micado client set -n rival --domain shop.example)',
    );
    expect((await cluster.manager().listServices()).map((s) => s.name)).toEqual([SERVICE]);
  });

  /** The catalog's own listener, as nodes and outside clients reach it, and what it asks. */
  const offLoopback = () => ({
    listen: cluster.layout.catalogListen,
    token: readFileSync(join(cluster.config.stateDir, 'read.token'), 'utf8').trim(),
    ca: cluster.layout.tls.caCert,
  });

  it('answers nothing off loopback without the read token, nor over plain HTTP', async () => {
    const { listen: catalog, token, ca } = offLoopback();
    const ask = (path: string, headers: Record<string, string> = {}) =>
      run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', ca, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), `https://${catalog}${path}`]); // prettier-ignore
    for (const path of [
      '/v1/catalog/services',
      `/v1/health/service/${SERVICE}`,
      '/prometheus/targets',
    ])
      expect((await ask(path)).stdout).toBe('403');
    expect((await ask('/v1/catalog/services', { 'X-Consul-Token': 'guess' })).stdout).toBe('403');
    expect((await ask('/v1/catalog/services', { 'X-Consul-Token': token })).stdout).toBe('200');
    const plain = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://${catalog}/v1/catalog/services?token=${token}`]); // prettier-ignore
    expect(plain.stdout).not.toBe('200');
  });

  it("is read by Debian's python3-consul, with the read token over TLS", async () => {
    const { listen: catalog, token, ca } = offLoopback();
    const [host, port] = catalog.split(':');
    const script = [
      'import consul, json',
      `c = consul.Consul(host="${host}", port=${port}, scheme="https", verify="${ca}", token="${token}")`,
      '_, services = c.catalog.services()',
      `_, healthy = c.health.service("${SERVICE}", passing=True)`,
      '_, nodes = c.catalog.nodes()',
      'print(json.dumps({"services": services, "healthy": [h["Service"]["Port"] for h in healthy], "nodes": len(nodes), "leader": c.status.leader()}))',
    ].join('\n');
    const result = await run('/usr/bin/python3', ['-c', script]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      services: { [SERVICE]: ['client=shop', `image=${IMAGE}`, 'domain=shop.example'] },
      healthy: [await publishedPort()],
      nodes: 2,
      leader: `${cluster.layout.managerAddress}:8300`,
    });
  });

  it("lets Debian's Prometheus discover the container and scrape it, with the read token over TLS", async () => {
    const { listen: catalog, token, ca } = offLoopback();
    const config = join(work, 'prometheus.yml');
    writeFileSync(config, [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: micado',
      `    http_sd_configs: [{ url: "https://${catalog}/prometheus/targets", refresh_interval: 1s, authorization: { credentials: "${token}" }, tls_config: { ca_file: "${ca}" } }]`,
      '    relabel_configs: [{ source_labels: [__meta_micado_service], target_label: service }]',
    ].join('\n')); // prettier-ignore
    const web = `127.0.0.1:${20_000 + Math.floor(Math.random() * 10_000)}`;
    prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(work, 'tsdb')}`,
      `--web.listen-address=${web}`, '--log.level=warn'], { stdio: 'ignore' }); // prettier-ignore
    const target = await eventually(async () => {
      const answer = await fetch(`http://${web}/api/v1/targets`).catch(() => undefined);
      const body = (await answer?.json().catch(() => undefined)) as
        | {
            data: {
              activeTargets: {
                labels: Record<string, string>;
                health: string;
                scrapeUrl: string;
              }[];
            };
          }
        | undefined;
      return body?.data.activeTargets.find(
        (t) => t.labels.service === SERVICE && t.health === 'up',
      );
    }, 60_000);
    const [worker] = await cluster.manager().listNodes({ role: ['worker'] });
    expect(target.scrapeUrl).toBe(`http://${worker!.address}:${await publishedPort()}/metrics`);
    const value = await eventually(async () => {
      const answer = await fetch(`http://${web}/api/v1/query?query=shop_orders_total`);
      const body = (await answer.json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result[0]?.value[1];
    }, 30_000);
    expect(value).toBe('42');
  });

  it('forgets a container once it is quit, and says so to a blocking query at once', async () => {
    const first = await fetch(`http://${listen}/v1/catalog/service/${SERVICE}`);
    const index = first.headers.get('x-consul-index');
    expect(await first.json()).toHaveLength(1);
    const blocked = fetch(`http://${listen}/v1/catalog/service/${SERVICE}?index=${index}&wait=60s`);
    const quit = await cluster.micado('quit', '-n', SERVICE, '-rm');
    expect(quit.code, quit.stderr).toBe(0);
    const answer = await blocked;
    expect(Number(answer.headers.get('x-consul-index'))).toBeGreaterThan(Number(index));
    expect(await answer.json()).toEqual([]);
    expect(await consul.catalog.service.list()).toEqual({});
  });

  it('refuses a malformed index or wait as Consul does', async () => {
    const bad = await fetch(`http://${listen}/v1/health/service/${SERVICE}?index=-1`);
    expect([bad.status, await bad.text()]).toEqual([400, 'Invalid index\n']);
  });
});
