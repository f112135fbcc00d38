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
