/**
 * A small HTTP request for health probes on micado's own addresses. node:http rather
 * than fetch: fetch loads undici on first use, which costs a CLI call ~50 ms.
 */
import { request } from 'node:http';

export function httpStatus(
  url: string,
  options: { method?: string; headers?: Record<string, string>; timeoutMs: number },
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, timeout: options.timeoutMs },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * Whether an HTTP server answers at `address:port` (any status will do), as a proxy
 * would ask it: undefined when it does, else why not. A node port whose container does
 * not listen is accepted by the engine's proxy and then reset, so a TCP connection
 * alone proves nothing.
 */
export function httpFailure(
  address: string,
  port: number,
  options: { host?: string; timeoutMs: number },
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: address,
        port,
        path: '/',
        method: 'GET',
        headers: options.host ? { host: options.host } : {},
        timeout: options.timeoutMs,
        agent: false,
      },
      (res) => {
        res.resume();
        resolve(undefined);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve(FAILURES[err.code ?? ''] ?? err.message),
    );
    req.end();
  });
}

const FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused: nothing listens there',
  ECONNRESET: 'connection reset: nothing answers behind the port',
  EHOSTUNREACH: 'host unreachable',
};
