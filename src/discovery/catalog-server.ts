/**
 * Where the catalog is read: one request handler for Consul's API and Prometheus' HTTP
 * service discovery, mounted beside /metrics on `manager.listen`, and alone on the
 * address nodes reach (`discovery.listen`): proxies read their routes there, and it
 * serves nothing but the catalog.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostError } from '../errors.js';
import { BLOCKING_PER_ADDRESS, serveConsul, type ConsulIdentity } from './consul-api.js';
import { limited, PerAddressLimit } from '../host/http-limits.js';
import { PROMETHEUS_SD_PATH, servePrometheusTargets } from './prometheus-sd.js';
import type { ServiceCatalog } from './service-catalog.js';

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

/** The catalog alone, on `listen` (address:port). */
export async function serveCatalog(listen: string, handler: CatalogHandler): Promise<Server> {
  const server = limited(
    createServer((request, response) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
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
    }),
  );
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
