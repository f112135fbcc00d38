/**
 * The packages as a cloud image gets them: the node tarball holds the scripts with
 * their modes; unpacked anywhere, its deploy.sh finds what it needs installed and
 * changes nothing, and its execute.sh refuses a boot it was not told enough for.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './support/test-cluster.js';

const ROOT = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'micado-packages-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('packages', () => {
  const tarball = join(ROOT, 'dist/packages', `micado-node-${version}.tar.gz`);

  it('packs the node package with its scripts executable and owned by root', async () => {
    const made = await run('node', [join(ROOT, 'scripts/package.mjs')]);
    expect(made.code, made.stderr).toBe(0);
    const listing = await run('tar', ['-tvzf', tarball]);
    const entries = listing.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    const byName = new Map(entries.map((e) => [e.at(-1), e]));
    for (const script of ['node/execute.sh', 'node/deploy.sh'])
      expect(byName.get(script)?.slice(0, 2)).toEqual(['-rwxr-xr-x', 'root/root']);
    expect(byName.has('node/README.md')).toBe(true);
  });

  it('unpacked, deploy.sh changes nothing on a host that has it all, and execute.sh refuses a bare boot', async () => {
    expect((await run('tar', ['-xzf', tarball, '-C', work])).code).toBe(0);
    const deploy = await run(join(work, 'node/deploy.sh'), []);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/^deploy.sh: docker.io iproute2 hostname already installed$/m);
    const execute = await run(join(work, 'node/execute.sh'), ['--instance', 'i-1']);
    expect(execute.code).not.toBe(0);
    expect(execute.stderr.trim()).toMatch(/^execute.sh: --manager is missing \(usage: /);
  });
});
