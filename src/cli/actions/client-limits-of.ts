/** A client's limits: its record's, or the configured defaults for a client with none. */
import type { MicadoConfig } from '../../config/config.js';
import { openExistingStore } from '../../store/open-store.js';
import type { ClientLimits } from '../../store/store.js';

export async function clientLimits(config: MicadoConfig, client: string): Promise<ClientLimits> {
  const store = await openExistingStore(config);
  const record = store
    ? (await store.clients().finally(() => store.close())).find((c) => c.name === client)
    : undefined;
  return record?.limits ?? config.clients.defaults;
}
