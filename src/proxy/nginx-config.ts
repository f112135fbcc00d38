/**
 * The proxy's routes as nginx configuration (included in its `http {}`): one `server`
 * per domain, proxying to an `upstream` of the domain's running instances with passive
 * health checks, so a task that dies is skipped before the catalog catches up. A
 * domain with no running instance answers 503 naming it; a Host with no route, 404.
 * Only checked host names, addresses and ports reach the text.
 */
import type { Route } from './routes.js';

export interface ProxyListen {
  /** The proxy's address and port (80) nginx listens on. */
  address: string;
  port: number;
}

const upstreamName = (route: Route) => `micado_${route.domain.replace(/[^a-z0-9]/g, '_')}`;

export function renderRoutes(routes: Route[], listen: ProxyListen): string {
  const lines = ["# Written by micado's route agent from the catalog: edits are replaced.", ''];
  for (const route of routes) {
    if (route.upstreams.length > 0) {
      lines.push(`upstream ${upstreamName(route)} {`);
      for (const u of route.upstreams) {
        lines.push(`  server ${u.address}:${u.port} max_fails=1 fail_timeout=5s;`);
      }
      lines.push('  keepalive 16;', '}', '');
    }
  }
  for (const route of routes) {
    lines.push(
      'server {',
      `  listen ${listen.address}:${listen.port};`,
      `  server_name ${route.domain};`,
    );
    if (route.upstreams.length === 0) {
      lines.push('  default_type text/plain;');
      lines.push(`  return 503 "micado proxy: no running container serves ${route.domain}\\n";`);
    } else {
      lines.push(
        '  location / {',
        `    proxy_pass http://${upstreamName(route)};`,
        '    proxy_http_version 1.1;',
        '    proxy_set_header Connection "";',
        '    proxy_set_header Host $host;',
        '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
        '    proxy_next_upstream error timeout http_502 http_503;',
        '    proxy_connect_timeout 2s;',
        '  }',
      );
    }
    lines.push('}', '');
  }
  lines.push(
    'server {',
    `  listen ${listen.address}:${listen.port} default_server;`,
    '  default_type text/plain;',
    '  return 404 "micado proxy: no application is served at this address\\n";',
    '}',
    '',
  );
  return lines.join('\n');
}
