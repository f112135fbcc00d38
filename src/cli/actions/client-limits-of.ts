/** A client's limits: its record's, or the configured defaults for a client with none. */
import type { MicadoConfig } from '../../config/config.js';
import { openExistingStore } from '../../store/open-store.js';
import type { ClientLimits, Store } from '../../store/store.js';

export async function clientLimits(config: MicadoConfig, client: string): Promise<ClientLimits> {
  const store = await openExistingStore(config);
  return store ? limitsIn(store, config, client).finally(() => store.close()) : config.clients.defaults; // prettier-ignore
}

/** The same, from a store already open. */
export async function limitsIn(
  store: Pick<Store, 'client'>,
  config: MicadoConfig,
  client: string,
): Promise<ClientLimits> {
  // prettier-ignore
  return (await store.client(client))?.limits ?? config.clients.defaults;
}
