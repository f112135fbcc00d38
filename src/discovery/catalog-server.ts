/**
 * Where the catalog is read: one request handler for Consul's API and Prometheus' HTTP
 * service discovery, mounted beside /metrics on `manager.listen`, and alone on the
 * address nodes reach (`discovery.listen`): proxies read their routes there, and it
 * serves nothing but the catalog.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { hostError } from '../errors.js';
import { BLOCKING_PER_ADDRESS, serveConsul, type ConsulIdentity } from './consul-api.js';
import { limitedServer, PerAddressLimit, type ListenerTls } from '../host/http-limits.js';
import { PROMETHEUS_SD_PATH, servePrometheusTargets } from './prometheus-sd.js';
import type { ServiceCatalog } from './service-catalog.js';
import type { OneTimeSecrets } from '../host/one-time-secrets.js';

export type CatalogHandler = (
  request: IncomingMessage,
  response: ServerResponse,
) => Promise<boolean>;

/** Serve a catalog path; resolves false for any other. */
export function catalogHandler(catalog: ServiceCatalog, identity: ConsulIdentity): CatalogHandler {
  // One count per address across every listener the handler is mounted on.
  const waiting = new PerAddressLimit(BLOCKING_PER_ADDRESS);
  return async (request, response) => {
    if (request.url?.split('?')[0] === PROMETHEUS_SD_PATH) {
      servePrometheusTargets(catalog, response);
      return true;
    }
    return serveConsul(catalog, identity, request, response, waiting);
  };
}

/** Who may read the catalog alone, and over what (off loopback: a token, and TLS). */
export interface CatalogGuard {
  mayRead(request: IncomingMessage): boolean;
  tls?: ListenerTls;
  /**
   * A booting node's secrets, each handed out once by its code at
   * `/v1/micado/boot/CODE` (the code is the credential: no token is asked).
   */
  bootSecrets?: Pick<OneTimeSecrets, 'take'>;
}

export const BOOT_SECRETS_PATH = '/v1/micado/boot/';

/** The catalog alone, on `listen` (address:port). */
export async function serveCatalog(
  listen: string,
  handler: CatalogHandler,
  guard?: CatalogGuard,
): Promise<Server> {
  const server = limitedServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = request.url?.split('?')[0] ?? '';
    if (guard?.bootSecrets && path.startsWith(BOOT_SECRETS_PATH)) {
      const secret = guard.bootSecrets.take(path.slice(BOOT_SECRETS_PATH.length));
      response
        .writeHead(secret === undefined ? 404 : 200, {
          'content-type': 'text/plain',
          'cache-control': 'no-store',
        }) // prettier-ignore
        .end(secret ?? 'no such boot code: it was taken, or its time is up\n');
      return;
    }
    if (guard && !guard.mayRead(request)) {
      // As Consul answers a request whose token it does not know.
      response.writeHead(403, { 'content-type': 'text/plain' }).end('ACL not found\n');
      return;
    }
    handler(request, response)
      .then(
        (served) =>
          served ||
          response
            .writeHead(404, { 'content-type': 'text/plain' })
            .end('the catalog is under /v1/\n'),
      )
      .catch(() => response.headersSent || response.writeHead(500).end());
  }, guard?.tls);
  const colon = listen.lastIndexOf(':');
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        hostError(
          `cannot serve the catalog on ${listen} (discovery.listen): ${err.code ?? err.message}`,
          err,
        ),
      ),
    );
    server.listen(Number(listen.slice(colon + 1)), listen.slice(0, colon), () => resolve());
  });
  return server;
}
