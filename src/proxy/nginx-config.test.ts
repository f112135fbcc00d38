import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CatalogContent, CatalogService } from '../discovery/catalog.js';
import { renderRoutes } from './nginx-config.js';
import { routesOf } from './routes.js';

const work = mkdtempSync(join(tmpdir(), 'micado-nginx-'));
/** nginx -t binds what it listens on: a loopback port of the test's own. */
const LISTEN = { address: '127.0.0.1', port: 20_000 + Math.floor(Math.random() * 10_000) };
afterAll(() => rmSync(work, { recursive: true, force: true }));

const service = (name: string, domain: string | undefined, instances: CatalogService['instances']): CatalogService => ({
  name, client: name, image: 'img', domain, ports: [8080], tags: [], instances,
}); // prettier-ignore
const instance = (address: string, port: number, passing = true) => ({
  id: `x-${address}`,
  node: 'n',
  address,
  port,
  passing,
});

/** nginx's own verdict on a configuration that includes `routes`. */
function nginxAccepts(routes: string): Promise<{ ok: boolean; output: string }> {
  const prefix = join(work, `t${Math.random().toString(16).slice(2)}`);
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  writeFileSync(join(prefix, 'routes.conf'), routes);
  writeFileSync(join(prefix, 'nginx.conf'), `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/logs/error.log;\nevents {}\nhttp {\n  access_log off;\n  include ${prefix}/routes.conf;\n}\n`);
  return new Promise((resolve) =>
    execFile('nginx', ['-t', '-c', join(prefix, 'nginx.conf'), '-p', prefix], (error, stdout, stderr) =>
      resolve({ ok: error === null, output: stdout + stderr }),
    ),
  );
} // prettier-ignore

describe('proxy routes and their nginx configuration', () => {
  const catalog: CatalogContent = {
    nodes: [],
    services: [
      service('container-shop', 'Shop.Example', [instance('10.0.0.4', 8080), instance('10.0.0.3', 8080), instance('10.0.0.5', 8080, false)]),
      service('container-blog', 'blog.example', []),
      service('container-plain', undefined, [instance('10.0.0.3', 9000)]),
      service('container-late', 'shop.example', [instance('10.0.0.9', 8080)]),
    ],
  }; // prettier-ignore

  it('routes each domain, lower-cased, to its passing instances; the first container keeps a domain', () => {
    expect(routesOf(catalog)).toEqual([
      { domain: 'blog.example', service: 'container-blog', upstreams: [] },
      { domain: 'shop.example', service: 'container-shop', upstreams: [{ address: '10.0.0.3', port: 8080 }, { address: '10.0.0.4', port: 8080 }] },
    ]); // prettier-ignore
  });

  it('renders a configuration nginx accepts: upstreams with passive checks, 503 for no instance, 404 for no route', async () => {
    const text = renderRoutes(routesOf(catalog), LISTEN);
    expect(text).toContain('server 10.0.0.3:8080 max_fails=1 fail_timeout=5s;');
    expect(text).toContain(
      'return 503 "micado proxy: no running container serves blog.example\\n";',
    );
    expect(text).toContain(`listen 127.0.0.1:${LISTEN.port} default_server;`);
    const verdict = await nginxAccepts(text);
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
    expect((await nginxAccepts(text)).ok).toBe(true);
  });
});
