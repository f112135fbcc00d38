/**
 * The running nginx of a proxy, driven by files and signals only: the route agent
 * writes `routes.conf` (included by the proxy package's nginx.conf), has nginx test the
 * whole configuration, and reloads it by the pid nginx recorded. A configuration nginx
 * refuses is put back as it was: nginx goes on serving the last good one.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type ApplyOutcome = 'unchanged' | 'reloaded' | 'refused';

export class NginxControl {
  readonly routesFile: string;

  /** `prefix` holds nginx.conf (which includes routes.conf) and nginx.pid. */
  constructor(private readonly prefix: string) {
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
