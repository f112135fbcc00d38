/**
 * The proxy's routes for nginx, in two parts that change at different rates:
 *
 * - `renderRoutes`: the configuration (included in nginx's `http {}`): one `server` per
 *   domain, one location per route of it, all proxying to the `micado_routes` upstream
 *   that the proxy package's nginx.conf defines. It changes only when a domain or path
 *   comes or goes, and only then does nginx reload.
 * - `peerTable`: each route's running instances, which change with every replica
 *   started, stopped or moved. The route agent hands the table to nginx's Lua balancer
 *   (packages/proxy/micado_routes.lua) in shared memory: no reload, so no connection
 *   of a client is closed because a replica came or went.
 *
 * A route with no running instance answers 503 naming its domain (the balancer's
 * check); a Host with no route, 404. Only checked host names, paths, addresses and
 * ports reach the text.
 */
import { routeKey, type Route } from './routes.js';

export interface ProxyListen {
  /** The proxy's address and port (80) nginx listens on. */
  address: string;
  port: number;
  /** Where the certificate nginx serves HTTPS with is (cert.pem, key.pem): then 443 too. */
  certificateDir?: string;
  /** The HTTPS port: 443 unless told. */
  httpsPort?: number;
}

/** A path nginx may be given unquoted: the agent checks its --certificate-dir by it. */
export const PLAIN_PATH = /^\/[A-Za-z0-9_./-]+$/;

/** Where the proxy package's nginx takes the peer table (its loopback only). */
export const PEER_TABLE_URL = 'http://127.0.0.1:8480/routes';

/** One line per route: `ROUTE ADDRESS:PORT ...` (no instance: the route alone). */
export function peerTable(routes: Route[]): string {
  return routes
    .map((r) => [routeKey(r), ...r.upstreams.map((u) => `${u.address}:${u.port}`)].join(' '))
    .map((line) => `${line}\n`)
    .join('');
}

export function renderRoutes(routes: Route[], listen: ProxyListen): string {
  const lines = ["# Written by micado's route agent from the catalog: edits are replaced.", ''];
  const tls = listen.certificateDir !== undefined && PLAIN_PATH.test(listen.certificateDir);
  if (tls) {
    lines.push(
      `ssl_certificate ${listen.certificateDir}/cert.pem;`,
      `ssl_certificate_key ${listen.certificateDir}/key.pem;`,
      'ssl_protocols TLSv1.2 TLSv1.3;',
      'ssl_session_cache shared:micado_tls:10m;',
      '',
    );
  }
  const httpsPort = listen.httpsPort ?? 443;
  const https = (extra = '') =>
    tls ? [`  listen ${listen.address}:${httpsPort} ssl${extra};`] : [];
  const domains = new Map<string, Route[]>();
  for (const route of routes) domains.set(route.domain, [...(domains.get(route.domain) ?? []), route]); // prettier-ignore
  for (const [domain, own] of domains) {
    lines.push(
      'server {',
      `  listen ${listen.address}:${listen.port};`,
      ...https(),
      `  server_name ${domain};`,
      `  set $micado_domain "${domain}";`,
    );
    const whole = own.find((r) => r.path === undefined);
    if (whole) lines.push('  location / {', ...proxied(whole), '  }');
    else {
      lines.push(
        '  location / {',
        '    default_type text/plain;',
        `    return 404 "micado proxy: nothing is served at this path of ${domain}\\n";`,
        '  }',
      );
    }
    // A prefix is the path itself and everything under it, never /apix for /api.
    for (const route of own.filter((r) => r.path !== undefined)) {
      lines.push(`  location = ${route.path} {`, ...proxied(route), '  }');
      lines.push(`  location ^~ ${route.path}/ {`, ...proxied(route), '  }');
    }
    lines.push('}', '');
  }
  lines.push(
    'server {',
    `  listen ${listen.address}:${listen.port} default_server;`,
    ...https(' default_server'),
    '  default_type text/plain;',
    '  return 404 "micado proxy: no application is served at this address\\n";',
    '}',
    '',
  );
  return lines.join('\n');
}

function proxied(route: Route): string[] {
  return [
    `    set $micado_route "${routeKey(route)}";`,
    '    access_by_lua_block { require("micado_routes").check() }',
    '    proxy_pass http://micado_routes;',
    '    proxy_http_version 1.1;',
    '    proxy_set_header Connection "";',
    '    proxy_set_header Host $host;',
    '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '    proxy_set_header X-Forwarded-Proto $scheme;',
    // A replica that stopped between the catalog's word and this request: the next one.
    '    proxy_next_upstream error timeout http_502 http_503;',
    '    proxy_connect_timeout 2s;',
  ];
}
