import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MicadoError } from '../errors.js';
import { DEFAULT_CONFIG } from './config.js';
import { loadConfig } from './load-config.js';

const work = mkdtempSync(join(tmpdir(), 'micado-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let made = 0;

const configFile = (content: string) => {
  const file = join(work, `config${made++}.json`);
  writeFileSync(file, content);
  return file;
};

describe('loadConfig', () => {
  it('gives the defaults when nothing is set', () => {
    expect(loadConfig({ env: {} })).toEqual(DEFAULT_CONFIG);
  });

  it('layers file, then environment, then flags', () => {
    const file = configFile(
      JSON.stringify({
        stateDir: '/srv/file',
        cluster: { name: 'fromfile' },
        registry: { port: 5001 },
      }),
    );
    const config = loadConfig({
      file,
      env: { MICADO_STATE_DIR: '/srv/env', MICADO_REGISTRY_PORT: '5002' },
      flags: { stateDir: '/srv/flag' },
    });
    expect(config.stateDir).toBe('/srv/flag');
    expect(config.cluster.name).toBe('fromfile');
    expect(config.registry.port).toBe(5002);
    expect(config.network).toEqual(DEFAULT_CONFIG.network);
  });

  it('replaces the flavours and pools whole when a file names them', () => {
    const file = configFile(
      JSON.stringify({
        flavours: { tiny: { cpus: 0.5, memoryMb: 256 } },
        pools: { edge: { driver: 'local', flavour: 'tiny', min: 1, max: 3 } },
      }),
    );
    const config = loadConfig({ file, env: {} });
    expect(Object.keys(config.flavours)).toEqual(['tiny']);
    expect(Object.keys(config.pools)).toEqual(['edge']);
  });

  it('reports a pool naming a flavour that is not there, and other pool mistakes', () => {
    const file = configFile(
      JSON.stringify({
        flavours: { tiny: { cpus: 0.5, memoryMb: 256 } },
        pools: {
          default: { driver: 'local', flavour: 'small', min: 0, max: 2 },
          Bad: { driver: 'aws', flavour: 'tiny', min: 3, max: 1 },
          cb: { driver: 'cloudbroker', flavour: 'tiny', min: 0, max: 1 },
        },
      }),
    );
    expect(() => loadConfig({ file, env: {} })).toThrow(
      "invalid configuration: pools.default.flavour 'small' is not one of flavours; " +
        "pools.Bad: a pool name is lower-case letters, digits and '-'; " +
        'pools.Bad.driver must be local or cloudbroker; pools.Bad.max must be a whole number of at least min; ' +
        'pools.cb needs a cloud for the cloudbroker driver',
    );
  });

  it('refuses a warm buffer larger than its max or not a count, naming the pool', () => {
    const file = configFile(
      JSON.stringify({
        pools: {
          web: { driver: 'local', flavour: 'small', min: 0, max: 2, warm: 3 },
          db: { driver: 'local', flavour: 'small', min: 0, max: 2, warm: -1 },
          ok: { driver: 'local', flavour: 'small', min: 0, max: 2, warm: 2 },
        },
      }),
    );
    expect(() => loadConfig({ file, env: {} })).toThrow(
      'invalid configuration: pools.web.warm (3) is more than its max (2): warm nodes count in max; ' +
        'pools.db.warm must be a whole number of at least 0',
    );
  });

  it('reads MICADO_DRY_RUN as a boolean', () => {
    expect(loadConfig({ env: { MICADO_DRY_RUN: 'true' } }).autoscaler.dryRun).toBe(true);
    expect(() => loadConfig({ env: { MICADO_DRY_RUN: 'maybe' } })).toThrow(
      /autoscaler\.dryRun must be true or false/,
    );
  });

  it('reports every problem at once', () => {
    const file = configFile(
      JSON.stringify({
        stateDir: 'relative',
        cluster: { name: 'Bad Name' },
        network: { bridge: 'a-bridge-name-far-too-long', subnet: '10.0.0.1/8' },
        registry: { port: 70000 },
        flavours: { small: { cpus: 0, memoryMb: 512 } },
      }),
    );
    let error: unknown;
    try {
      loadConfig({ file, env: {} });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MicadoError);
    const message = (error as MicadoError).message;
    for (const part of [
      'stateDir',
      'cluster.name',
      'network.bridge',
      'network.subnet',
      'registry.port',
      'flavours.small',
    ]) {
      expect(message).toContain(part);
    }
    expect(message.split('\n')).toHaveLength(1);
  });

  it.each([
    ['a missing file', undefined, 'does not exist'],
    ['a file that is not JSON', '{ nope', 'not valid JSON'],
    ['a file that is not an object', '[1]', 'must hold a JSON object'],
  ])('refuses %s', (_, content, message) => {
    const file = content === undefined ? '/nonexistent/micado.json' : configFile(content);
    expect(() => loadConfig({ file, env: {} })).toThrow(message);
  });

  it('rejects a subnet too small for a cluster', () => {
    expect(() => loadConfig({ env: { MICADO_SUBNET: '10.1.1.0/30' } })).toThrow('too small');
  });

  it('takes a host engine with the address it is advertised at, and cloud pools only', () => {
    const file = configFile(JSON.stringify({ pools: {} }));
    const env = { MICADO_MANAGER_ENGINE: 'unix:///var/run/docker.sock' };
    const config = loadConfig({ file, env, flags: { 'manager.advertise': '10.1.2.3' } });
    expect(config.manager).toMatchObject({
      engine: 'unix:///var/run/docker.sock',
      advertise: '10.1.2.3',
    });
  });

  it.each([
    [{ 'manager.engine': 'tcp://10.0.0.1:2375', 'manager.advertise': '10.0.0.1' }, 'manager.engine (MICADO_MANAGER_ENGINE) must be unix:///PATH'],
    [{ 'manager.engine': 'unix:///run/docker.sock' }, 'manager.advertise (MICADO_ADVERTISE) must be the IPv4 address'],
    [{ 'manager.advertise': '10.0.0.1' }, 'manager.advertise (MICADO_ADVERTISE) needs manager.engine'],
    [{ 'manager.engine': 'unix:///run/docker.sock', 'manager.advertise': '10.0.0.1', pools: 'default' }, 'pools.default uses the local driver'],
  ])('refuses a host engine set as %j', (flags, message) => {
    const { pools, ...settings } = flags as Record<string, string>;
    const file = configFile(JSON.stringify(pools ? {} : { pools: {} }));
    expect(() => loadConfig({ file, env: {}, flags: settings })).toThrow(message);
  }); // prettier-ignore

  it.each([
    ['https://cloudbroker.example/', true],
    ['http://127.0.0.1:8440/', true],
    ['http://localhost:8440/', true],
    ['http://10.0.0.1:8440/', false],
    ['http://cloudbroker.example/', false],
  ])('takes cloudbroker.url %s only over TLS or on loopback (%s)', (url, taken) => {
    const load = () => loadConfig({ env: { MICADO_CB_URL: url } });
    if (taken) expect(load().cloudbroker.url).toBe(url);
    else expect(load).toThrow(/would send the account's password over plain HTTP: use https:\/\//);
  });
});
