import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_LIMITS } from '../host/http-limits.js';
import { serveStatus } from './status-server.js';

/** The status of GET `path` with `host` as its Host header. */
function statusWithHost(port: number, host: string, path = '/healthz'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the manager listener', () => {
  let server: Awaited<ReturnType<typeof serveStatus>>;
  let port: number;

  beforeAll(async () => {
    server = await serveStatus('127.0.0.1:0', { unhealthy: () => undefined, metrics: () => '' });
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it.each([
    ['127.0.0.1 with its port', (p: number) => `127.0.0.1:${p}`, 200],
    ['localhost', () => 'localhost', 200],
    ['[::1]', (p: number) => `[::1]:${p}`, 200],
    ['a rebound domain (a page in a browser)', (p: number) => `evil.example:${p}`, 403],
    ['an address off loopback', (p: number) => `10.0.0.1:${p}`, 403],
  ])('on loopback, answers the Host %s with %i', async (_, host, status) => {
    expect(await statusWithHost(port, host(port))).toBe(status);
    expect(await statusWithHost(port, host(port), '/metrics')).toBe(status);
  });

  it('keeps to the limits every listener keeps', () => {
    expect(server.maxConnections).toBe(HTTP_LIMITS.maxConnections);
    expect(server.headersTimeout).toBe(HTTP_LIMITS.headersTimeoutMs);
    expect(server.requestTimeout).toBe(HTTP_LIMITS.requestTimeoutMs);
  });
});
