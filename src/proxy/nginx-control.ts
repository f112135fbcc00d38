/**
 * The running nginx of a proxy. Its configuration is driven by files and signals: the
 * route agent writes `routes.conf` (included by the proxy package's nginx.conf), has
 * nginx test the whole configuration, and reloads it by the pid nginx recorded; one
 * nginx refuses is put back as it was, and nginx goes on serving the last good one.
 * Its peers go to the Lua balancer's shared memory by an HTTP PUT on loopback.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PEER_TABLE_URL } from './nginx-config.js';

export type ApplyOutcome = 'unchanged' | 'reloaded' | 'refused';

export class NginxControl {
  readonly routesFile: string;

  /** `prefix` holds nginx.conf (which includes routes.conf) and nginx.pid. */
  constructor(
    private readonly prefix: string,
    private readonly peerTableUrl = PEER_TABLE_URL,
  ) {
    this.routesFile = join(prefix, 'routes.conf');
  }

  /** Make `text` the routes nginx serves, unless it already is or nginx refuses it. */
  async apply(text: string): Promise<{ outcome: ApplyOutcome; detail?: string }> {
    const current = existsSync(this.routesFile) ? readFileSync(this.routesFile, 'utf8') : undefined;
    if (current === text) return { outcome: 'unchanged' };
    const candidate = `${this.routesFile}.new`;
    const previous = `${this.routesFile}.last`;
    writeFileSync(candidate, text, { mode: 0o644 });
    if (current !== undefined) writeFileSync(previous, current, { mode: 0o644 });
    renameSync(candidate, this.routesFile);
    const test = await this.nginx(['-t']);
    if (!test.ok) {
      // Back to the last good routes: the running nginx never saw the bad ones.
      if (current !== undefined) renameSync(previous, this.routesFile);
      return { outcome: 'refused', detail: lastLine(test.output) };
    }
    process.kill(this.pid(), 'SIGHUP');
    return { outcome: 'reloaded' };
  }

  /** Hand the balancer every route's instances (`peerTable`): no reload. */
  async publishPeers(table: string): Promise<void> {
    const answer = await fetch(this.peerTableUrl, {
      method: 'PUT',
      body: table,
      signal: AbortSignal.timeout(2_000),
    });
    if (!answer.ok) throw new Error(`nginx took no peers: HTTP ${answer.status} ${(await answer.text()).trim()}`); // prettier-ignore
  }

  /** nginx's master process, by the pid file it wrote. */
  pid(): number {
    return Number(readFileSync(join(this.prefix, 'nginx.pid'), 'utf8').trim());
  }

  private nginx(args: string[]): Promise<{ ok: boolean; output: string }> {
    const conf = join(this.prefix, 'nginx.conf');
    return new Promise((resolve) =>
      execFile('nginx', [...args, '-c', conf, '-p', this.prefix], (error, stdout, stderr) =>
        resolve({ ok: error === null, output: `${stdout}${stderr}` }),
      ),
    );
  }
}

const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => !/test failed|syntax is ok/.test(l))
    .at(-1) ?? 'nginx refused the configuration';
