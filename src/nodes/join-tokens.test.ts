import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSwarm } from '../testing/fake-swarm.js';
import { JoinTokens } from './join-tokens.js';

describe('JoinTokens', () => {
  const dirs: string[] = [];
  const keeper = () => {
    const dir = mkdtempSync(join(tmpdir(), 'micado-joins-'));
    dirs.push(dir);
    const swarm = new FakeSwarm();
    return { swarm, dir, tokens: new JoinTokens(swarm, dir) };
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('rotates the worker token when the last start on its way is done, not before', async () => {
    const { swarm, tokens, dir } = keeper();
    const [a, b] = await Promise.all([tokens.take('i-a'), tokens.take('i-b')]);
    expect(a).toBe(b);
    expect(await tokens.done('i-a')).toBe(false);
    expect(swarm.rotations).toBe(0);
    expect(await tokens.done('i-b')).toBe(true);
    expect(swarm.rotations).toBe(1);
    // The next start gets the new token; nothing is left marked.
    expect(await tokens.take('i-c')).not.toBe(a);
    await tokens.done('i-c');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does not wait for a start whose process is gone', async () => {
    const { swarm, tokens, dir } = keeper();
    // A pid above the kernel's limit is no process.
    writeFileSync(join(dir, 'i-crashed'), '4194305');
    await tokens.take('i-a');
    expect(await tokens.done('i-a')).toBe(true);
    expect(swarm.rotations).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a start of another live process keeps the token until it is done', async () => {
    const { swarm, tokens, dir } = keeper();
    // The marks are shared by every process: one of pid 1 (always alive) is on its way.
    writeFileSync(join(dir, 'i-elsewhere'), '1');
    await tokens.take('i-a');
    expect(await tokens.done('i-a')).toBe(false);
    expect(swarm.rotations).toBe(0);
  });
});
