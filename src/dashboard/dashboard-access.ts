/**
 * Who may open the dashboard. On a loopback listen, anyone on the machine: they can
 * read the state directory anyway. On any other address, holders of the token in
 * `manager.dashboardTokenFile` (STATE_DIR/dashboard.token unless set), made on first
 * need, mode 600; a token file others may read is refused, as a key would be.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MicadoConfig } from '../config/config.js';
import { usageError } from '../errors.js';
import type { DashboardAccess } from './dashboard-server.js';

export const isLoopback = (listen: string) =>
  /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1):\d+$/.test(listen);

export const dashboardTokenFile = (config: Pick<MicadoConfig, 'stateDir' | 'manager'>) =>
  config.manager.dashboardTokenFile || join(config.stateDir, 'dashboard.token');

export function dashboardAccess(
  config: Pick<MicadoConfig, 'stateDir' | 'manager'>,
): DashboardAccess {
  if (isLoopback(config.manager.listen)) return { token: undefined };
  const file = dashboardTokenFile(config);
  if (!existsSync(file)) {
    writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  }
  if ((statSync(file).mode & 0o077) !== 0)
    throw usageError(`${file} may be read by others: chmod 600 it (it opens the dashboard)`);
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16) throw usageError(`${file} holds no token of 16 characters or more`);
  return { token };
}
