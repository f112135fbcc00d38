/**
 * Whether something listens at an address and port: a TCP connection opened and closed
 * at once, nothing sent. For checks on micado's own nodes (an upstream of the proxy).
 */
import { connect } from 'node:net';

/** Resolves with undefined when it connects, else why not (refused, timed out, …). */
export function tcpProbe(
  address: string,
  port: number,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(`no answer within ${timeoutMs} ms`);
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      resolve(
        err.code === 'ECONNREFUSED'
          ? 'connection refused: nothing listens there'
          : (err.code ?? err.message),
      ),
    );
  });
}
