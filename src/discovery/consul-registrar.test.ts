import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeSwarm } from '../testing/fake-swarm.js';
import { ConsulRegistrar, readConsulToken } from './consul-registrar.js';
import { ServiceCatalog } from './service-catalog.js';

const work = mkdtempSync(join(tmpdir(), 'micado-consul-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A loopback port nothing listens on: a Consul that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('registering in a real Consul', () => {
  it('says once that Consul is down, keeps retrying with backoff, and never fails the caller', async () => {
    const catalog = new ServiceCatalog(new FakeSwarm(), { resyncMs: 60_000, log: () => undefined });
    await catalog.start();
    const troubles: string[] = [];
    const registrar = new ConsulRegistrar(catalog, {
      url: `http://127.0.0.1:${await closedPort()}`,
      token: 'secret-token',
      cluster: 'test',
      trouble: (message) => troubles.push(message),
      recovered: () => undefined,
    });
    registrar.start();
    // Changes while it is down do not each say it again.
    for (let i = 0; i < 3; i++) registrar.wake();
    await new Promise((r) => setTimeout(r, 1_500));
    await registrar.stop();
    await catalog.stop();
    expect(troubles).toHaveLength(1);
    expect(troubles[0]).toMatch(
      /^consul http:\/\/127\.0\.0\.1:\d+ failed \(.*ECONNREFUSED.*\): retrying with backoff$/,
    );
    expect(troubles[0]).not.toContain('secret-token');
  });

  it('reads its token from the environment, or from a file its owner alone can read', () => {
    const file = join(work, 'token');
    writeFileSync(file, 'from-file\n', { mode: 0o600 });
    expect(readConsulToken(file, {})).toBe('from-file');
    expect(readConsulToken(file, { MICADO_CONSUL_TOKEN: 'from-env' })).toBe('from-env');
    expect(readConsulToken('', {})).toBeUndefined();
    const open = join(work, 'open-token');
    writeFileSync(open, 'x', { mode: 0o644 });
    expect(() => readConsulToken(open, {})).toThrow(
      `${open} is readable by group or others: run chmod 600 ${open}`,
    );
  });
});
