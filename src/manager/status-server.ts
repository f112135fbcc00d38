/**
 * The manager's HTTP face: /healthz for supervisors, /metrics for Prometheus, and
 * whatever else `more` serves (the dashboard, the catalog's Consul-compatible /v1/).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { hostError } from '../errors.js';
import { limitedServer, type ListenerTls } from '../host/http-limits.js';

export interface StatusSource {
  /** undefined when healthy, else why not. */
  unhealthy(): string | undefined;
  metrics(): string;
  /** Serve another path; resolves false when it is not one of its own. */
  more?(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
  /** Whether the request may read /metrics (a token off loopback); all may when absent. */
  mayRead?(request: IncomingMessage): boolean;
  /** Speak TLS with this certificate (off loopback). */
  tls?: ListenerTls;
}

/** The answer to a request without the token it needs. */
export function refuse(response: ServerResponse): void {
  response
    .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="micado"' })
    .end("a token is needed here: the read token (manager.readTokenFile) or the operator's\n");
}

function failed(response: ServerResponse): boolean {
  if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
  response.end('internal error\n');
  return true;
}

/** The host name of a Host header: without its port, and without brackets for IPv6. */
function hostName(header: string | undefined): string {
  const value = (header ?? '').trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']'));
  return value.replace(/:\d+$/, '');
}

function isLoopback(name: string): boolean {
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

export async function serveStatus(listen: string, source: StatusSource): Promise<Server> {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon);
  const port = Number(listen.slice(colon + 1));
  const server = limitedServer((request, response) => void answer(request, response), source.tls);
  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    // On loopback, a Host that is not a loopback name is a page in a browser that had
    // its domain rebound to 127.0.0.1, reading what is only this machine's to read.
    if (isLoopback(host) && !isLoopback(hostName(request.headers.host))) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end('this listener answers to loopback names only\n'); // prettier-ignore
      return;
    }
    const path = (request.url ?? '/').split('?')[0];
    const reading = request.method === 'GET' || request.method === 'HEAD';
    if (!reading) {
      // Only what `more` serves takes another method (the dashboard's login form).
      if (!(await source.more?.(request, response).catch(() => failed(response))))
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      const problem = source.unhealthy();
      response
        .writeHead(problem ? 503 : 200, { 'content-type': 'text/plain; charset=utf-8' })
        .end(problem ? `unhealthy: ${problem}\n` : 'ok\n');
    } else if (path === '/metrics') {
      if (source.mayRead && !source.mayRead(request)) return refuse(response);
      response
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
        .end(source.metrics());
    } else if (!(await source.more?.(request, response).catch(() => failed(response)))) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('see /healthz and /metrics\n');
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        hostError(
          err.code === 'EADDRINUSE'
            ? `manager.listen ${listen} is taken: set another address (MICADO_MANAGER_LISTEN)`
            : `cannot listen on ${listen}: ${err.message}`,
          err,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  return server;
}
