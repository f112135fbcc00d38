/**
 * Whether the proxies route a domain and path, asked of each proxy itself: a request
 * with X-Micado-Route-Check, which the proxy's Lua check answers without forwarding it,
 * naming the route that took it and how many instances that route has
 * (packages/proxy/micado_routes.lua). A Host with no route gets the default server's 404.
 */
import { httpAsk } from '../host/http-probe.js';
import { routeKey } from './routes.js';

/** served: every proxy routes it to an instance; no replica: routed, to none; not routed: a proxy lacks it. */
export type ProxyRouting = 'served' | 'no replica' | 'not routed';

const PROXY_PORT = 80;

/** How `proxies` (ADDRESS, or ADDRESS:PORT when not 80) route `domain` and `path` (undefined: the whole domain). */
export async function proxyRouting(
  proxies: string[],
  domain: string,
  path: string | undefined,
  timeoutMs = 2_000,
): Promise<ProxyRouting> {
  const expected = routeKey({ domain: domain.toLowerCase(), path });
  const answers = await Promise.all(
    proxies.map((proxy) => askRoute(proxy, domain.toLowerCase(), path ?? '/', timeoutMs)),
  );
  if (answers.some((a) => a?.route !== expected)) return 'not routed';
  return answers.every((a) => a!.peers > 0) ? 'served' : 'no replica';
}

async function askRoute(
  proxy: string,
  host: string,
  path: string,
  timeoutMs: number,
): Promise<{ route: string; peers: number } | undefined> {
  const address = proxy.includes(':') ? proxy : `${proxy}:${PROXY_PORT}`;
  const answer = await httpAsk(`http://${address}${path}`, {
    headers: { host, 'x-micado-route-check': '1' },
    timeoutMs,
  });
  if (answer.failure !== undefined || answer.status !== 204) return undefined;
  const route = answer.headers['x-micado-route'];
  const peers = Number(answer.headers['x-micado-peers']);
  return typeof route === 'string' && Number.isInteger(peers) ? { route, peers } : undefined;
}
