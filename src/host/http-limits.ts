/**
 * What every micado HTTP listener keeps to, so that one client on the network cannot
 * hold it: a cap on connections, a deadline for a request's headers and for the whole
 * request (not for an answer: a blocking query or the dashboard's feed may take
 * minutes to answer), and a cap on what one address may keep waiting at once.
 */
import type { Server } from 'node:http';

export const HTTP_LIMITS = {
  maxConnections: 4096,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

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
