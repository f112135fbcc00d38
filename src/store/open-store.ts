/**
 * The store the configuration selects: MongoDB when a URL is given, else the SQLite
 * file in the state dir. Each backend's module (and its client library) is loaded
 * only when chosen.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MicadoConfig } from '../config/config.js';
import type { Retention, Store } from './store.js';

export const STORE_FILE = 'micado.db';

export function retentionOf(config: MicadoConfig): Retention {
  return {
    historyMs: config.store.historyHours * 3600_000,
    eventsMs: config.store.eventDays * 24 * 3600_000,
    usageMs: config.store.usageDays * 24 * 3600_000,
  };
}

export async function openStore(config: MicadoConfig): Promise<Store> {
  const retention = retentionOf(config);
  if (config.store.mongoUrl) {
    const { MongoStore } = await import('./mongo-store.js');
    return MongoStore.open(config.store.mongoUrl, {
      connectTimeoutMs: config.store.connectTimeoutMs,
      retention,
    });
  }
  const { SqliteStore } = await import('./sqlite-store.js');
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  return SqliteStore.open(join(config.stateDir, STORE_FILE), retention);
}

/**
 * The store as it is, for commands that only read: undefined when the embedded file
 * has never been written (nothing to show, and nothing to create).
 */
export async function openExistingStore(config: MicadoConfig): Promise<Store | undefined> {
  if (!config.store.mongoUrl && !existsSync(join(config.stateDir, STORE_FILE))) return undefined;
  return openStore(config);
}
