/**
 * A local cluster of its own for a test file: a temporary state dir, a unique cluster
 * name, bridge and subnet, so suites never touch a user's cluster. `destroy` takes it
 * down through micado and then checks nothing of it is left on the host.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/load-config.js';
import type { MicadoConfig } from '../../src/config/config.js';
import { clusterLayout } from '../../src/cluster/cluster-layout.js';
import type { SwarmClient } from '../../src/swarm/index.js';
import { connectManagerEngine } from '../../src/cluster/manager-engine.js';

export const CLI = join(import.meta.dirname, '../../dist/bin/micado.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class TestCluster {
  readonly env: NodeJS.ProcessEnv;
  config: MicadoConfig;

  /** `settings` go into a config file of the cluster's own (MICADO_CONFIG). */
  constructor(settings?: Record<string, unknown>) {
    const name = `t${randomBytes(3).toString('hex')}`;
    const stateDir = mkdtempSync(join(tmpdir(), 'micado-test-'));
    this.env = {
      ...process.env,
      MICADO_STATE_DIR: stateDir,
      MICADO_CLUSTER_NAME: name,
      MICADO_BRIDGE: `${name}br`,
      // Outside the default 10.232.0.0/16, so a user's own cluster is never in the way.
      MICADO_SUBNET: `10.${240 + (randomBytes(1)[0]! % 10)}.${randomBytes(1)[0]}.0/24`,
    };
    this.config = loadConfig({ env: this.env });
    this.configure(settings ?? {});
  }

  /**
   * Write `settings` to a config file of the cluster's own (MICADO_CONFIG) and reload.
   * Unless they say otherwise, the cluster has no node pools (the manager starts no
   * node, so a test sees Swarm's own behaviour) and its manager a port of its own.
   */
  configure(settings: Record<string, unknown>): void {
    const file = join(this.config.stateDir, 'test-config.json');
    const port = 20_000 + (randomBytes(2).readUInt16BE() % 10_000);
    const defaults = { pools: {}, manager: { listen: `127.0.0.1:${port}` } };
    writeFileSync(file, JSON.stringify({ ...defaults, ...settings }));
    this.env.MICADO_CONFIG = file;
    this.config = loadConfig({ env: this.env });
  }

  get layout() {
    return clusterLayout(this.config);
  }

  manager(): SwarmClient {
    return connectManagerEngine(this.layout);
  }

  micado(...args: string[]): Promise<CliResult> {
    return this.micadoWithInput(undefined, ...args);
  }

  /** Run the CLI with more in its environment (another MICADO_CONFIG, say). */
  micadoWithEnv(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        'node',
        [CLI, ...args],
        { env: { ...this.env, ...env }, timeout: 120_000 },
        (error, stdout, stderr) => // prettier-ignore
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }), // prettier-ignore
      ).stdin?.end('');
    });
  }

  /** Run the CLI with `input` on its standard input (without: an empty pipe). */
  micadoWithInput(input: string | undefined, ...args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = execFile(
        'node',
        [CLI, ...args],
        { env: this.env, timeout: 120_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(input ?? '');
    });
  }

  /** Start the CLI and leave it running (for logs --follow). */
  spawnMicado(...args: string[]) {
    return spawn('node', [CLI, ...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** `micado down --purge`, whatever state the test left. */
  async destroy(): Promise<CliResult> {
    return this.micado('down', '--purge');
  }

  /** Everything of this cluster still on the host; empty when it is gone. */
  async leftovers(): Promise<string[]> {
    const found: string[] = [];
    const name = this.config.cluster.name;
    const { stdout } = await run('ip', ['-j', 'netns', 'list']);
    for (const ns of stdout.trim() ? (JSON.parse(stdout) as { name: string }[]) : []) {
      if (ns.name.startsWith(`${name}-`)) found.push(`namespace ${ns.name}`);
    }
    const links = JSON.parse((await run('ip', ['-j', 'link', 'show'])).stdout) as {
      ifname: string;
    }[];
    if (links.some((l) => l.ifname === this.config.network.bridge))
      found.push(`bridge ${this.config.network.bridge}`);
    const stateDir = this.config.stateDir;
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const point = line.split(' ')[4];
      if (point?.startsWith(stateDir)) found.push(`mount ${point}`);
    }
    // The registry's trust for the engines of this host (written by up and node boots).
    for (const address of [this.layout.registry, this.layout.registryPush]) {
      if (existsSync(join('/etc/docker/certs.d', address))) found.push(`certs.d ${address}`);
    }
    for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
      if (existsSync(join('/sys/fs/cgroup', hierarchy, name)))
        found.push(`cgroup ${hierarchy}/${name}`);
    }
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
        if (cmdline.includes(stateDir) && state !== 'Z')
          found.push(`process ${pid} ${cmdline.split('\0').join(' ').trim()}`);
      } catch {
        // exited meanwhile
      }
    }
    if (existsSync(stateDir)) found.push(`state dir ${stateDir}`);
    return found;
  }
}

/** What is left on the host of one local instance; empty once it is fully removed. */
export async function instanceLeftovers(
  cluster: TestCluster,
  instanceId: string,
): Promise<string[]> {
  const { name } = cluster.config.cluster;
  const dir = join(cluster.config.stateDir, 'nodes', instanceId);
  return (await cluster.leftovers()).filter(
    (line) =>
      line === `namespace ${name}-${instanceId}` ||
      line.startsWith(`mount ${dir}`) ||
      line.includes(`${name}/${instanceId}`) ||
      line.includes(dir),
  );
}

export function run(file: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file, args, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, stdout, stderr }),
    );
  });
}

/**
 * Wait for `check` to return a value (test-side only: micado's own waits are
 * event-driven). On timeout, `seen` says what was there instead.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  seen?: () => string | Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in time${seen ? `: ${await seen()}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
