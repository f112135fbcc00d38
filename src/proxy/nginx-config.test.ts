/**
 * The proxy's routes against Debian's nginx and its Lua module, on loopback: the proxy
 * package's nginx.conf.in and micado_routes.lua as a proxy node runs them, the routes
 * rendered here, and two small HTTP servers of the test's own as the instances.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogContent, CatalogService } from '../discovery/catalog.js';
import { peerTable, renderRoutes } from './nginx-config.js';
import { NginxControl } from './nginx-control.js';
import { proxyRouting } from './route-probe.js';
import { routesOf } from './routes.js';

const PACKAGE = join(import.meta.dirname, '../../packages/proxy');
const work = mkdtempSync(join(tmpdir(), 'micado-nginx-'));
// The certificate HTTPS is served with: self-signed for shop.example, by openssl.
mkdirSync(join(work, 'certificate'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
  '-subj', '/CN=shop.example', '-addext', 'subjectAltName=DNS:shop.example',
  '-keyout', join(work, 'certificate/key.pem'), '-out', join(work, 'certificate/cert.pem')], { stdio: 'ignore' }); // prettier-ignore
/** nginx binds what it listens on: loopback ports of the test's own. */
const port = () => 20_000 + Math.floor(Math.random() * 20_000);
const LISTEN = { address: '127.0.0.1', port: port(), httpsPort: port(), certificateDir: join(work, 'certificate') }; // prettier-ignore
const CONTROL = `127.0.0.1:${port()}`;

const service = (name: string, domain: string | undefined, instances: CatalogService['instances'], path?: string): CatalogService => ({
  name, origin: 'micado', client: name, image: 'img', domain, ...(path ? { path } : {}), ports: [8080], tags: [], instances,
}); // prettier-ignore
const instance = (address: string, port: number, passing = true) => ({
  id: `x-${address}-${port}`,
  node: 'n',
  address,
  port,
  passing,
});

/** An nginx directory as the proxy package writes it, with `routes` as routes.conf. */
function nginxDir(routes: string): string {
  const prefix = join(work, `t${Math.random().toString(16).slice(2)}`);
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const template = readFileSync(join(PACKAGE, 'nginx.conf.in'), 'utf8');
  writeFileSync(join(prefix, 'nginx.conf'), template.replaceAll('@ROOT@', prefix).replaceAll('@CONTROL@', CONTROL)); // prettier-ignore
  copyFileSync(join(PACKAGE, 'micado_routes.lua'), join(prefix, 'micado_routes.lua'));
  writeFileSync(join(prefix, 'routes.conf'), routes);
  return prefix;
}

const run = (file: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(file, args, (error, stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve(stdout))),
  ); // prettier-ignore

const nginx = (prefix: string, ...args: string[]) =>
  new Promise<{ ok: boolean; output: string }>((resolve) =>
    execFile('nginx', [...args, '-c', join(prefix, 'nginx.conf'), '-p', prefix], (error, stdout, stderr) =>
      resolve({ ok: error === null, output: stdout + stderr }),
    ),
  ); // prettier-ignore

describe('proxy routes and their nginx configuration', () => {
  const catalog: CatalogContent = {
    nodes: [],
    services: [
      service('container-shop', 'Shop.Example', [instance('10.0.0.4', 8080), instance('10.0.0.3', 8080), instance('10.0.0.5', 8080, false)]),
      service('container-blog', 'blog.example', []),
      service('container-plain', undefined, [instance('10.0.0.3', 9000)]),
      service('container-late', 'shop.example', [instance('10.0.0.9', 8080)]),
      service('container-api', 'shop.example', [instance('10.0.0.9', 31000)], '/api'),
    ],
  }; // prettier-ignore

  it('routes each domain and path, lower-cased, to its passing instances; the first container keeps a route', () => {
    expect(routesOf(catalog)).toEqual([
      { domain: 'blog.example', path: undefined, service: 'container-blog', upstreams: [] },
      { domain: 'shop.example', path: undefined, service: 'container-shop', upstreams: [{ address: '10.0.0.3', port: 8080 }, { address: '10.0.0.4', port: 8080 }] },
      { domain: 'shop.example', path: '/api', service: 'container-api', upstreams: [{ address: '10.0.0.9', port: 31000 }] },
    ]); // prettier-ignore
    expect(peerTable(routesOf(catalog))).toBe(
      'blog.example/\nshop.example/ 10.0.0.3:8080 10.0.0.4:8080\nshop.example/api 10.0.0.9:31000\n',
    );
  });

  it('renders a configuration nginx accepts: a server per domain, a prefix and what is under it, 404 for no route', async () => {
    const text = renderRoutes(routesOf(catalog), LISTEN);
    expect(text).toContain('  location = /api {\n    set $micado_route "shop.example/api";');
    expect(text).toContain('  location ^~ /api/ {');
    expect(text).toContain(`listen 127.0.0.1:${LISTEN.port} default_server;`);
    expect(text).toContain(`listen 127.0.0.1:${LISTEN.httpsPort} ssl default_server;`);
    expect(text).toContain(`ssl_certificate ${work}/certificate/cert.pem;`);
    // Instances are no part of it: replicas coming and going change nothing here.
    expect(text).not.toContain('10.0.0.');
    const verdict = await nginx(nginxDir(text), '-t');
    expect(verdict.ok, verdict.output).toBe(true);
  });

  it.each([
    ['a semicolon', 'shop.example; include /etc/passwd'],
    ['a brace', 'shop.example { }'],
    ['a newline', 'shop.example\nserver_name evil'],
    ['a 300-character label', `${'a'.repeat(300)}.example`],
    ['a quote', 'shop".example'],
  ])('never lets a domain with %s into the configuration', async (_, domain) => {
    const hostile = {
      nodes: [],
      services: [service('container-x', domain, [instance('10.0.0.3', 80)])],
    };
    expect(routesOf(hostile)).toEqual([]);
    const text = renderRoutes(routesOf(hostile), LISTEN);
    expect(text).not.toMatch(/shop|a{64}/);
    expect((await nginx(nginxDir(text), '-t')).ok).toBe(true);
  });

  it.each([['/../etc'], ['/a/./b'], ['/api;'], ['/api {'], ['/a\nb'], ['/a"b'], ['//'], ['api']])(
    'never lets a path %j into the configuration',
    (path) => {
      const hostile = {
        nodes: [],
        services: [service('container-x', 'shop.example', [instance('10.0.0.3', 80)], path)],
      };
      expect(routesOf(hostile)).toEqual([]);
    },
  );
});

describe('the Lua balancer in a running nginx', () => {
  const servers: Server[] = [];
  const ports: number[] = [];
  let prefix: string;
  let control: NginxControl;
  /** Requests the instances answered. */
  let hits = 0;

  /** An instance answering its own name. */
  const serve = async (name: string) => {
    const server = createServer((_, res) => {
      hits++;
      res.end(name);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return (server.address() as AddressInfo).port;
  };
  /** What the proxy answers for `host` (node:http: fetch will not send a Host of ours). */
  const ask = (host: string, path = '/') =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = get({ host: LISTEN.address, port: LISTEN.port, path, headers: { host }, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
      });
      request.on('error', reject);
    }); // prettier-ignore
  const routes = (instances: Record<string, number[]>) =>
    routesOf({
      nodes: [],
      services: [
        service('container-shop', 'shop.example', (instances.shop ?? []).map((p) => instance('127.0.0.1', p))),
        service('container-api', 'shop.example', (instances.api ?? []).map((p) => instance('127.0.0.1', p)), '/api'),
        service('container-blog', 'blog.example', []),
      ],
    }); // prettier-ignore

  beforeAll(async () => {
    ports.push(await serve('a'), await serve('b'), await serve('api'));
    prefix = nginxDir(renderRoutes(routes({}), LISTEN));
    control = new NginxControl(prefix, `http://${CONTROL}/routes`);
    const started = await nginx(prefix);
    expect(started.ok, started.output).toBe(true);
  });

  afterAll(async () => {
    if (prefix) process.kill(control.pid(), 'SIGTERM');
    for (const server of servers) server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('answers 503 naming the domain until instances come, then shares requests among them round robin', async () => {
    expect(await ask('shop.example')).toEqual({ status: 503, body: 'micado proxy: no running container serves shop.example' }); // prettier-ignore
    await control.publishPeers(
      peerTable(routes({ shop: [ports[0]!, ports[1]!], api: [ports[2]!] })),
    );
    const bodies: string[] = [];
    for (let i = 0; i < 20; i++) bodies.push((await ask('shop.example')).body);
    // Two nginx workers, each turning on its own: every instance is asked, evenly.
    const counts = { a: bodies.filter((b) => b === 'a').length, b: bodies.filter((b) => b === 'b').length }; // prettier-ignore
    expect(counts.a + counts.b).toBe(20);
    expect(Math.min(counts.a, counts.b)).toBeGreaterThanOrEqual(5);
  });

  it('routes a path prefix and what is under it, not a longer name that starts like it', async () => {
    expect(await ask('shop.example', '/api')).toEqual({ status: 200, body: 'api' });
    expect(await ask('shop.example', '/api/orders?x=1')).toEqual({ status: 200, body: 'api' });
    expect((await ask('shop.example', '/apix')).body).toMatch(/^[ab]$/);
    expect((await ask('nothing.example')).status).toBe(404);
    expect((await ask('blog.example')).status).toBe(503);
  });

  it('answers a route check itself, naming the route and its instances, forwarding nothing', async () => {
    const proxy = `${LISTEN.address}:${LISTEN.port}`;
    const before = hits;
    expect(await proxyRouting([proxy], 'Shop.Example', undefined)).toBe('served');
    expect(await proxyRouting([proxy], 'shop.example', '/api')).toBe('served');
    expect(await proxyRouting([proxy], 'blog.example', undefined)).toBe('no replica');
    expect(await proxyRouting([proxy], 'nothing.example', undefined)).toBe('not routed');
    // A prefix this proxy does not have is taken by the domain's whole route: not its own.
    expect(await proxyRouting([proxy], 'shop.example', '/orders')).toBe('not routed');
    // Every proxy must route it: one that does not answer fails the whole.
    expect(await proxyRouting([proxy, '127.0.0.1:1'], 'shop.example', undefined)).toBe(
      'not routed',
    );
    expect(hits).toBe(before);
  });

  it('serves the same routes over HTTPS with the certificate given', async () => {
    const answer = await run('curl', ['-s', '--cacert', join(work, 'certificate/cert.pem'),
      '--resolve', `shop.example:${LISTEN.httpsPort}:127.0.0.1`, `https://shop.example:${LISTEN.httpsPort}/api/x`]); // prettier-ignore
    expect(answer).toBe('api');
  });

  it('skips an instance that stopped before the table says so, and drops one the table no longer has', async () => {
    const gone = servers[1]!;
    await new Promise((r) => gone.close(r));
    for (let i = 0; i < 10; i++)
      expect(await ask('shop.example')).toEqual({ status: 200, body: 'a' });
    await control.publishPeers(peerTable(routes({ shop: [ports[0]!] })));
    expect(await ask('shop.example', '/api')).toEqual({ status: 503, body: 'micado proxy: no running container serves shop.example' }); // prettier-ignore
    expect(readFileSync(join(prefix, 'logs/error.log'), 'utf8')).not.toMatch(
      /\[(emerg|alert|crit)\]/,
    );
  });
});
