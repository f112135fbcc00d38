/**
 * The `micado manager` daemon of the local cluster: started by up (with the effective
 * configuration written beside it, mode 600, as it may hold a store password), stopped
 * first by down (before any node, so it starts none while they go), by its recorded pid.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostError } from '../errors.js';
import { httpStatus } from '../host/http-probe.js';
import { listenerUrl } from '../host/listener-access.js';
import { isRunning, spawnDaemon, type ProcessRecord } from '../host/process.js';
import type { ClusterLayout } from './cluster-layout.js';

/** The micado CLI script: the one running, or the build's when called from elsewhere. */
export function micadoScript(): string {
  const running = process.argv[1];
  if (running && /^micado(\.js)?$/.test(basename(running))) return running;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'bin', 'micado.js');
}

export const managerLog = (layout: ClusterLayout) =>
  join(layout.config.stateDir, 'manager', 'micado-manager.log');

export async function startManagerProcess(layout: ClusterLayout): Promise<ProcessRecord> {
  const { config } = layout;
  const dir = join(config.stateDir, 'manager');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const configFile = join(dir, 'micado-manager.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
  const log = managerLog(layout);
  const record = spawnDaemon(
    [
      process.execPath,
      micadoScript(),
      '--config',
      configFile,
      '--state-dir',
      config.stateDir,
      'manager',
    ],
    log,
  );
  // Up returns once the manager answers, or says why it did not.
  const deadline = Date.now() + config.local.readyTimeoutMs;
  const url = `${listenerUrl(config.manager.listen)}/healthz`;
  const ca = readFileSync(layout.tls.caCert);
  while (Date.now() < deadline) {
    if (!isRunning(record)) {
      const last = readFileSync(log, 'utf8').trim().split('\n').pop() ?? '';
      throw hostError(
        `the micado manager exited at once (${last.replace(/^\S+ /, '')}); see ${log}`,
      );
    }
    if ((await httpStatus(url, { timeoutMs: 1000, ca })) !== undefined) return record;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw hostError(`the micado manager did not answer on ${url}; see ${log}`);
}
