/**
 * `micado dashboard`: where the manager serves its dashboard, whether it answers, and
 * (off loopback) which file holds its token. `--open` hands the address to the
 * desktop's browser where one is set up (xdg-open); the token itself is never printed.
 */
import { spawn } from 'node:child_process';
import { dashboardTokenFile, isLoopback } from '../../dashboard/dashboard-access.js';
import { hostError } from '../../errors.js';
import type { CommandContext } from '../context.js';
import type { DashboardOptions } from './actions.js';

export async function dashboardAction(
  { config, output }: CommandContext,
  options: DashboardOptions,
): Promise<void> {
  const url = `http://${config.manager.listen}/`;
  const tokenFile = isLoopback(config.manager.listen) ? undefined : dashboardTokenFile(config);
  const answer = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(2_000) }).catch(
    () => undefined,
  );
  const running = answer !== undefined;
  if (options.json) return output.json({ url, running, tokenFile: tokenFile ?? null });
  output.line(url);
  if (!running) output.warn('the manager does not answer there: start it with micado up');
  if (tokenFile) output.line(`its token is in ${tokenFile} (the page asks for it)`);
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
