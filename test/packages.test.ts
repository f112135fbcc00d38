/**
 * The packages as a cloud image gets them: each tarball holds its scripts with their
 * modes, the manager's carries micado; unpacked anywhere, a deploy.sh finds what it
 * needs installed and changes nothing, and an execute.sh refuses a boot it was not
 * told enough for. (The tarballs booting a whole cluster: cloud-in-a-machine.test.ts.)
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './support/test-cluster.js';

const ROOT = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'micado-packages-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Run a program and keep its exit code. */
const runWithCode = (file: string, args: string[]) =>
  new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(file, args, (error, _stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stderr }),
    ),
  );

describe('packages', () => {
  const tarball = (role: string) => join(ROOT, 'dist/packages', `micado-${role}-${version}.tar.gz`);

  it.each([
    ['manager', ['execute.sh', 'deploy.sh', 'install-missing.sh', 'micado/dist/bin/micado.js'], ['README.md', 'micado/NODE_ABI', 'micado/node_modules/better-sqlite3/package.json', 'micado/dist/dashboard/index.html', 'micado/dist/dashboard/app.js', 'runtime/node', 'runtime/VERSION']],
    ['node', ['execute.sh', 'deploy.sh', 'install-missing.sh'], ['README.md']],
    ['proxy', ['execute.sh', 'deploy.sh', 'install-missing.sh', 'node-execute.sh'], ['README.md', 'route-agent.js', 'micado_routes.lua', 'nginx.conf.in', 'runtime/node']],
  ])('packs the %s package with its scripts executable and owned by root', async (role, scripts, files) => {
    if (role === 'manager') {
      const made = await run('node', [join(ROOT, 'scripts/package.mjs')]);
      expect(made.code, made.stderr).toBe(0);
    }
    const listing = await run('tar', ['-tvzf', tarball(role)]);
    const entries = listing.stdout.trim().split('\n').map((l) => l.split(/\s+/));
    const byName = new Map(entries.map((e) => [e.at(-1), e]));
    for (const script of scripts)
      expect(byName.get(`${role}/${script}`)?.slice(0, 2), script).toEqual(['-rwxr-xr-x', 'root/root']);
    for (const file of files) expect(byName.has(`${role}/${file}`), file).toBe(true);
  }); // prettier-ignore

  it('unpacked, deploy.sh changes nothing on a host that has it all, and execute.sh refuses a bare boot', async () => {
    expect((await run('tar', ['-xzf', tarball('node'), '-C', work])).code).toBe(0);
    const deploy = await run(join(work, 'node/deploy.sh'), []);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(
      /^deploy.sh: docker.io iptables iproute2 hostname openssl curl already installed$/m,
    );
    const execute = await run(join(work, 'node/execute.sh'), ['--instance', 'i-1']);
    expect(execute.code).not.toBe(0);
    expect(execute.stderr.trim()).toMatch(/^execute.sh: --manager is missing \(usage: /);
  });

  it.each([
    [['--engine', 'tcp://10.0.0.1:2375'], "--engine must be unix:///PATH, got 'tcp://10.0.0.1:2375'"],
    [['--address'], '--address needs a value'],
    [['--nodes', '3'], 'unknown parameter --nodes'],
  ])('the manager boot script refuses %j in one line, exit 2, before it touches anything', async (args, message) => {
    expect((await run('tar', ['-xzf', tarball('manager'), '-C', work])).code).toBe(0);
    const bin = join(work, 'bin');
    const execute = await runWithCode(join(work, 'manager/execute.sh'), ['--bin-dir', bin, ...args]);
    expect(execute.code).toBe(2);
    expect(execute.stderr.trim().split('\n')).toEqual([expect.stringContaining(`execute.sh: ${message}`)]);
    expect(existsSync(bin)).toBe(false);
  }); // prettier-ignore
});
