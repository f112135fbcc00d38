import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OneTimeSecrets } from './one-time-secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'micado-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('one-time secrets', () => {
  const secrets = new OneTimeSecrets(join(dir, 'codes'));

  it('hands a secret out once, by its code, from a mode-600 file', () => {
    const code = secrets.put('SWMTKN-1-x\nbundle', 60_000);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(dir, 'codes', code)).mode & 0o777).toBe(0o600);
    expect(secrets.take(code)).toBe('SWMTKN-1-x\nbundle');
    expect(secrets.take(code)).toBeUndefined();
    expect(readdirSync(join(dir, 'codes'))).toEqual([]);
  });

  it('hands out nothing past its time, nor for a code it did not make', () => {
    const now = Date.now();
    const code = secrets.put('late', 1_000, now);
    expect(secrets.take(code, now + 1_001)).toBeUndefined();
    expect(secrets.take('../../etc/passwd')).toBeUndefined();
    expect(secrets.take('x'.repeat(43))).toBeUndefined();
  });

  it('sweeps what is past its time when it puts the next one', () => {
    const now = Date.now();
    secrets.put('old', 10, now);
    const fresh = secrets.put('fresh', 60_000, now + 100);
    expect(readdirSync(join(dir, 'codes'))).toEqual([fresh]);
  });
});
