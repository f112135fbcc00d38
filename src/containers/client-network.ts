/**
 * Each client's containers share an overlay network of the client's own and no other:
 * a client's services reach each other there by name; another client's containers sit
 * on other networks, and a node's bridges forward nothing from one container to another
 * (execute.sh), so they reach each other only through the ports they publish, as anyone
 * on the network could.
 */
import type { SwarmClient } from '../swarm/index.js';
import { CONTAINER_LABEL } from '../swarm/labels.js';

export const clientNetwork = (client: string) => `micado-client-${client}`;

/** The client's network, made on its first launch. */
export function ensureClientNetwork(
  manager: Pick<SwarmClient, 'ensureOverlayNetwork'>,
  client: string,
) {
  return manager.ensureOverlayNetwork(clientNetwork(client), { [CONTAINER_LABEL.client]: client });
}

/**
 * Remove the client's network once none of its containers is left. A task still being
 * torn down keeps it; it goes with the next removal, or with the cluster.
 */
export async function releaseClientNetwork(
  manager: Pick<SwarmClient, 'listServices' | 'removeNetwork'>,
  client: string | undefined,
): Promise<void> {
  if (client === undefined) return;
  const left = await manager.listServices({ label: [`${CONTAINER_LABEL.client}=${client}`] });
  if (left.length === 0) await manager.removeNetwork(clientNetwork(client));
}
