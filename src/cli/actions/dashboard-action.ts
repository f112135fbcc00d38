/**
 * `micado dashboard`: where the manager serves its dashboard, whether it answers, and
 * (off loopback) which file holds its token. `--open` hands the address to the
 * desktop's browser where one is set up (xdg-open); the token itself is never printed.
 */
import { spawn } from 'node:child_process';
import { isLoopback, listenerUrl } from '../../host/listener-access.js';
import { operatorTokenFile } from '../../config/token-files.js';
import { clusterTlsFiles } from '../../host/certificates.js';
import { hostError } from '../../errors.js';
import { existsSync, readFileSync } from 'node:fs';
import { httpAsk } from '../../host/http-probe.js';
import type { CommandContext } from '../context.js';
import type { DashboardOptions } from './actions.js';

export async function dashboardAction(
  { config, output }: CommandContext,
  options: DashboardOptions,
): Promise<void> {
  // Off loopback it speaks TLS with a certificate of the cluster's CA, and asks a token.
  const open = isLoopback(config.manager.listen);
  const url = `${listenerUrl(config.manager.listen)}/`;
  const tokenFile = open ? undefined : operatorTokenFile(config);
  const ca = open ? undefined : clusterTlsFiles(config.stateDir).caCert;
  const answer = await httpAsk(`${url}healthz`, { timeoutMs: 2_000, ...(ca && existsSync(ca) ? { ca: readFileSync(ca) } : {}) }); // prettier-ignore
  const running = answer.failure === undefined;
  if (options.json) return output.json({ url, running, tokenFile: tokenFile ?? null, ca: ca ?? null }); // prettier-ignore
  output.line(url);
  if (!running) output.warn('the manager does not answer there: start it with micado up');
  if (tokenFile) output.line(`its token is in ${tokenFile} (the page asks for it); its certificate is of the cluster's CA, ${ca}`); // prettier-ignore
  if (options.open) {
    const opened = await new Promise<boolean>((resolve) => {
      const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    });
    if (!opened) throw hostError('no browser to open it with here (xdg-open): open the address above yourself'); // prettier-ignore
  }
}
