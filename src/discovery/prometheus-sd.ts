/**
 * The catalog as Prometheus' HTTP service discovery reads it (`http_sd_configs`, at
 * /prometheus/targets): one target group per running instance that publishes a port,
 * labelled with its service, client, domain and node. (Debian's Prometheus is built
 * without consul_sd_configs; every build has http_sd_configs.)
 */
import type { ServerResponse } from 'node:http';
import type { ServiceCatalog } from './service-catalog.js';

export const PROMETHEUS_SD_PATH = '/prometheus/targets';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export function targetGroups(catalog: ServiceCatalog): TargetGroup[] {
  return catalog.content.services.flatMap((service) =>
    service.instances
      .filter((instance) => instance.passing && instance.port > 0)
      .map((instance) => ({
        targets: [`${instance.address}:${instance.port}`],
        labels: {
          __meta_micado_service: service.name,
          __meta_micado_client: service.client,
          __meta_micado_image: service.image,
          __meta_micado_domain: service.domain ?? '',
          __meta_micado_node: instance.node,
        },
      })),
  );
}

export function servePrometheusTargets(catalog: ServiceCatalog, response: ServerResponse): void {
  response
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify(targetGroups(catalog)));
}
