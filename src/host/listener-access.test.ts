import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { listenerTokens, mayRead } from './listener-access.js';
import { tokenFiles } from '../config/token-files.js';

const work = mkdtempSync(join(tmpdir(), 'micado-access-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const config = (listen: string, files: { dashboardTokenFile?: string; readTokenFile?: string } = {}) =>
  ({ stateDir: work, manager: { listen, dashboardTokenFile: '', readTokenFile: '', ...files } }) as never; // prettier-ignore

const request = (headers: Record<string, string>, url = '/v1/catalog/services') =>
  ({ headers, url }) as unknown as IncomingMessage;

describe('listener access', () => {
  it('asks no token on loopback', () => {
    expect(listenerTokens(tokenFiles(config('127.0.0.1:9465')), '127.0.0.1:9465')).toBeUndefined();
    expect(mayRead(request({}), undefined)).toBe(true);
  });

  it('makes both token files mode 600 on first need, and reads the same ones after', () => {
    const made = listenerTokens(tokenFiles(config('10.0.0.1:9465')), '10.0.0.1:9465')!;
    expect(made.operator).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(made.read).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(made.read).not.toBe(made.operator);
    for (const file of ['dashboard.token', 'read.token'])
      expect(statSync(join(work, file)).mode & 0o777).toBe(0o600);
    expect(listenerTokens(tokenFiles(config('0.0.0.0:9465')), '0.0.0.0:9465')).toEqual(made);
  });

  it('refuses a token file others may read', () => {
    const loose = join(work, 'loose.token');
    writeFileSync(loose, 'x'.repeat(32), { mode: 0o644 });
    expect(() => listenerTokens(tokenFiles(config('10.0.0.1:9465', { readTokenFile: loose })), '10.0.0.1:9465')).toThrow(/may be read by others: chmod 600/); // prettier-ignore
  });

  it("takes either token as Consul's clients and a bearer present it, and nothing else", () => {
    const tokens = listenerTokens(tokenFiles(config('10.0.0.1:9465')), '10.0.0.1:9465')!;
    for (const token of [tokens.read, tokens.operator]) {
      expect(mayRead(request({ 'x-consul-token': token }), tokens)).toBe(true);
      expect(mayRead(request({ authorization: `Bearer ${token}` }), tokens)).toBe(true);
      expect(mayRead(request({}, `/v1/catalog/services?token=${token}`), tokens)).toBe(true);
      // Prometheus 2.42's http_sd sends it with no scheme.
      expect(mayRead(request({ authorization: token }), tokens)).toBe(true);
    }
    expect(mayRead(request({}), tokens)).toBe(false);
    expect(mayRead(request({ 'x-consul-token': 'anonymous' }), tokens)).toBe(false);
    expect(mayRead(request({ authorization: `Bearer ${tokens.read}x` }), tokens)).toBe(false);
    expect(mayRead(request({ authorization: `Basic ${tokens.read}` }), tokens)).toBe(false);
    // Consul's open /v1/status/, and no way around the token through it.
    expect(mayRead(request({}, '/v1/status/leader'), tokens)).toBe(true);
    expect(mayRead(request({}, '/v1/status/../catalog/services'), tokens)).toBe(false);
    expect(mayRead(request({}, '/v1/status/%2e%2e/catalog/services'), tokens)).toBe(false);
  });

  it('gives every process the same whole token when many make it at once', async () => {
    const file = join(work, 'raced.token');
    const script = `import { ensureTokenFile } from ${JSON.stringify(join(import.meta.dirname, 'listener-access.ts'))}; console.log(ensureTokenFile(${JSON.stringify(file)}, 'a test'));`; // prettier-ignore
    const runs = Array.from(
      { length: 6 },
      () =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(join(import.meta.dirname, '../../node_modules/.bin/tsx'), [
            '--eval',
            script,
          ]);
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d));
          child.stderr.on('data', (d: Buffer) => (out += d));
          child.on('close', (code) => resolve({ code, out: out.trim() }));
        }),
    );
    const results = await Promise.all(runs);
    expect(results.map((r) => r.code)).toEqual(Array(6).fill(0));
    expect(new Set(results.map((r) => r.out)).size).toBe(1);
    expect(results[0]!.out).toMatch(/^[A-Za-z0-9_-]{32}$/);
  }, 30_000);
});
