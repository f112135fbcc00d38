/**
 * Faults and bad input: each gives one clear line on stderr, the right exit code, and
 * leaves nothing behind on the host.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { TestCluster, run } from './support/test-cluster.js';

/** The error is one line, naming the problem. */
function expectOneLine(stderr: string, message: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

describe('bad input and host faults', () => {
  let cluster: TestCluster;

  afterEach(async () => {
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('refuses a bridge name that another owner uses', async () => {
    cluster = new TestCluster();
    const bridge = cluster.config.network.bridge;
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    try {
      const up = await cluster.micado('up');
      expect(up.code).toBe(1);
      expectOneLine(up.stderr, /interface .* exists and is not micado's: set network.bridge/);
      expect(
        (await cluster.leftovers()).filter(
          (l) => !l.startsWith('bridge') && !l.startsWith('state dir'),
        ),
      ).toEqual([]);
    } finally {
      await run('ip', ['link', 'delete', bridge]);
    }
  });

  it('refuses a subnet already routed on the host', async () => {
    cluster = new TestCluster();
    const other = `${cluster.config.cluster.name}x`;
    const [a, b, c] = cluster.config.network.subnet.split('.');
    await run('ip', ['link', 'add', other, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${a}.${b}.${c}.77/28`, 'dev', other]);
    await run('ip', ['link', 'set', other, 'up']);
    try {
      const up = await cluster.micado('up');
      expect(up.code).toBe(1);
      expectOneLine(
        up.stderr,
        /micado: subnet .* is already in use on this host .*: set network.subnet/,
      );
      expect((await cluster.leftovers()).filter((l) => !l.startsWith('state dir'))).toEqual([]);
    } finally {
      await run('ip', ['link', 'delete', other]);
    }
  });

  it('rolls back everything when the manager engine will not start', async () => {
    cluster = new TestCluster();
    const bin = mkdtempSync(join(tmpdir(), 'micado-fake-bin-'));
    onTestFinished(() => rmSync(bin, { recursive: true, force: true }));
    writeFileSync(
      join(bin, 'dockerd'),
      '#!/bin/sh\necho "failed to start daemon: no space left on device" >&2\nexit 1\n',
    );
    chmodSync(join(bin, 'dockerd'), 0o755);
    cluster.env.PATH = `${bin}:${process.env.PATH}`;
    const up = await cluster.micado('up');
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(
      /micado: dockerd of .*-manager exited: failed to start daemon: no space left on device/,
    );
    expect((await cluster.leftovers()).filter((l) => !l.startsWith('state dir'))).toEqual([]);
  });

  it('refuses to run when not root, saying how', async () => {
    cluster = new TestCluster();
    chmodSync(cluster.config.stateDir, 0o755);
    const cli = join(import.meta.dirname, '../dist/bin/micado.js');
    const result = await run('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'env',
      `MICADO_STATE_DIR=${cluster.config.stateDir}`,
      'node',
      cli,
      'up',
    ]);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, /micado must run as root .*: run it with sudo/);
  });

  it('says the cluster is not up when starting a node without one', async () => {
    cluster = new TestCluster();
    const start = await cluster.micado('start', '-f', 'small', '-t', 'a1');
    expect(start.code).toBe(1);
    expectOneLine(start.stderr, /the cluster is not up: run micado up first/);
  });

  it.each([
    [
      ['start', '-f', 'huge', '-t', 'a1'],
      /unknown flavour 'huge': use one of small, medium, large/,
    ],
    [
      ['start', '-f', 'small', '-t', 'a1', '-c', 'nowhere'],
      /unknown cloud 'nowhere': use local, or define it in .*cloudsetup.xml \(MICADO_CB_SETUP\)/,
    ],
    [['start', '-f', 'small', '-t', 'bad tag!'], /invalid tag 'bad tag!'/],
    [['start', '-f', 'small', '-t', 'a1', '-n', 'Web Servers'], /invalid node name/],
    [['start', '-f', 'small'], /required option '-t, --tag <tag>' not specified/],
    [['--state-dir', 'relative', 'status'], /stateDir must be an absolute path/],
  ])('refuses %j as a usage error (exit 2)', async (argv, message) => {
    cluster = new TestCluster();
    const result = await cluster.micado(...argv);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, message);
  });

  it.each([
    [
      { MICADO_MONGO_URL: 'mongodb://127.0.0.1:1' },
      2,
      /the MongoDB URL \(mongodb 127\.0\.0\.1:1\/\) names no database: add one/,
    ],
    [
      { MICADO_MONGO_URL: 'postgres://u:hunter2@127.0.0.1/x' },
      2,
      /store\.mongoUrl \(MICADO_MONGO_URL\) must be a mongodb:\/\/ or mongodb\+srv:\/\/ URL$/,
    ],
    [
      { MICADO_MONGO_URL: 'mongodb://u:hunter2@127.0.0.1:1/micado' },
      1,
      /cannot reach mongodb 127\.0\.0\.1:1\/micado: .*check that the server runs/,
    ],
    [{ MICADO_MONITOR_SCHEDULE: 'hourly' }, 2, /monitor\.schedule must be a cron expression/],
  ] as const)('reports a store or schedule that cannot be used: %j', async (env, code, message) => {
    cluster = new TestCluster({ store: { connectTimeoutMs: 500 } });
    const saved = { ...cluster.env };
    Object.assign(cluster.env, env);
    const result = await cluster.micado('events');
    Object.assign(cluster.env, saved);
    for (const key of Object.keys(env)) if (!(key in saved)) delete cluster.env[key];
    expect(result.code).toBe(code);
    expectOneLine(result.stderr, message);
    expect(result.stderr).not.toContain('hunter2');
  });
});
