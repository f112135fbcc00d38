/**
 * Where the tokens that open the manager's listeners off loopback are kept
 * (host/listener-access.ts says what each opens), and the one-time boot codes.
 */
import { join } from 'node:path';
import type { MicadoConfig } from './config.js';

type TokenConfig = Pick<MicadoConfig, 'stateDir' | 'manager'>;

/** The operator's token: the dashboard and every listener. */
export const operatorTokenFile = (config: TokenConfig) =>
  config.manager.dashboardTokenFile || join(config.stateDir, 'dashboard.token');

/** The read token: the catalog, Prometheus' targets and /metrics. */
export const readTokenFile = (config: TokenConfig) =>
  config.manager.readTokenFile || join(config.stateDir, 'read.token');

/** Where a booting node's secrets wait for their one-time code (host/one-time-secrets.ts). */
export const bootSecretsDir = (config: Pick<MicadoConfig, 'stateDir'>) =>
  join(config.stateDir, 'boot-codes');

export const tokenFiles = (config: TokenConfig) => ({
  operator: operatorTokenFile(config),
  read: readTokenFile(config),
});
