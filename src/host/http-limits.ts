/**
 * What every micado HTTP listener keeps to, so that one client on the network cannot
 * hold it: a cap on connections, a deadline for a request's headers and for the whole
 * request (not for an answer: a blocking query or the dashboard's feed may take
 * minutes to answer), and a cap on what one address may keep waiting at once.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';

export const HTTP_LIMITS = {
  maxConnections: 4096,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

/** A listener's certificate and key files: it speaks TLS. */
export interface ListenerTls {
  cert: string;
  key: string;
}

/** An HTTP listener with the limits, speaking TLS when given a certificate. */
export function limitedServer(handler: RequestListener, tls?: ListenerTls): Server {
  const server = tls
    ? (createTlsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler) as unknown as Server) // prettier-ignore
    : createServer(handler);
  return limited(server);
}

/** The listener's limits (before it listens). */
export function limited(server: Server): Server {
  server.maxConnections = HTTP_LIMITS.maxConnections;
  server.headersTimeout = HTTP_LIMITS.headersTimeoutMs;
  server.requestTimeout = HTTP_LIMITS.requestTimeoutMs;
  return server;
}

/** At most `max` of something (blocking queries) in flight per remote address. */
export class PerAddressLimit {
  private readonly inFlight = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Take one for `address`; false when it already has `max`. */
  enter(address: string): boolean {
    const count = this.inFlight.get(address) ?? 0;
    if (count >= this.max) return false;
    this.inFlight.set(address, count + 1);
    return true;
  }

  leave(address: string): void {
    const count = (this.inFlight.get(address) ?? 1) - 1;
    if (count > 0) this.inFlight.set(address, count);
    else this.inFlight.delete(address);
  }
}
