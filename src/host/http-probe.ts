/**
 * Small HTTP requests for probes on micado's own addresses (health, a proxy's route, an
 * upstream). node:http rather than fetch: fetch loads undici on first use, which costs
 * a CLI call ~50 ms.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { request as tlsRequest } from 'node:https';

export type HttpAnswer =
  { status: number; headers: IncomingHttpHeaders; failure?: undefined } | { failure: string };

const FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused: nothing listens there',
  ECONNRESET: 'connection reset: nothing answers behind the port',
  EHOSTUNREACH: 'host unreachable',
};

/** One request, its body left unread: the status and headers, or why none came. */
export function httpAsk(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    timeoutMs: number;
    /** For an https URL: the CA its certificate must come from. */
    ca?: string | Buffer;
  },
): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const ask = url.startsWith('https:') ? tlsRequest : request;
    const req = ask(
      url,
      { method: options.method ?? 'GET', headers: options.headers, timeout: options.timeoutMs, agent: false, ...(options.ca ? { ca: options.ca } : {}) }, // prettier-ignore
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ failure: FAILURES[err.code ?? ''] ?? err.message }),
    );
    req.end();
  });
}

/** The status `url` answers with; undefined when it does not answer. */
export async function httpStatus(
  url: string,
  options: Parameters<typeof httpAsk>[1],
): Promise<number | undefined> {
  const answer = await httpAsk(url, options);
  return answer.failure === undefined ? answer.status : undefined;
}

/**
 * Whether an HTTP server answers at `address:port` (any status will do), as a proxy
 * would ask it: undefined when it does, else why not. A node port whose container does
 * not listen is accepted by the engine's proxy and then reset, so a TCP connection
 * alone proves nothing.
 */
export async function httpFailure(
  address: string,
  port: number,
  options: { host?: string; timeoutMs: number },
): Promise<string | undefined> {
  const headers = options.host ? { host: options.host } : undefined;
  return (await httpAsk(`http://${address}:${port}/`, { headers, timeoutMs: options.timeoutMs }))
    .failure;
}
