/**
 * The local cluster against the real engine: up, two instances, Swarm's own capacity
 * accounting, stop, down, and nothing of micado left on the host.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCloudDriver } from '../src/cloud/local/local-cloud-driver.js';
import { TestCluster, eventually, instanceLeftovers } from './support/test-cluster.js';
import { swarmEntry } from '../src/cluster/cluster-layout.js';
import {
  clusterTlsFiles,
  ensureClusterTls,
  issueNodeCertificate,
  type ClusterTlsFiles,
  type TlsMaterial,
} from '../src/host/certificates.js';
import { runCommand } from '../src/host/run-command.js';
import { NODE_LABEL } from '../src/swarm/labels.js';

const scratchDirs: string[] = [];
const scratch = () =>
  scratchDirs[scratchDirs.push(mkdtempSync(join(tmpdir(), 'micado-cert-'))) - 1]!;
afterAll(() => scratchDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A certificate of the cluster's CA for `instance` that expired a day ago. */
async function expiredCertificate(files: ClusterTlsFiles, instance: string): Promise<TlsMaterial> {
  const dir = scratch();
  const at = (name: string) => join(dir, name);
  writeFileSync(at('ext'), `subjectAltName=DNS:${instance}\nextendedKeyUsage=serverAuth\n`);
  await runCommand(['openssl', 'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-subj', `/CN=${instance}`, '-keyout', at('key.pem'), '-out', at('csr.pem')]);
  await runCommand(['openssl', 'x509', '-req', '-in', at('csr.pem'), '-CA', files.caCert, '-CAkey', files.caKey,
    '-days', '-1', '-extfile', at('ext'), '-out', at('cert.pem')]);
  const read = (name: string) => readFileSync(name, 'utf8');
  return { ca: read(files.caCert), cert: read(at('cert.pem')), key: read(at('key.pem')) };
} // prettier-ignore

const EXECUTE = join(import.meta.dirname, '../packages/node/execute.sh');

/** Run the node package's boot script (only for input it refuses before starting anything). */
function execute(...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(EXECUTE, args, (error, _stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stderr }),
    ),
  );
}

describe('local cluster', () => {
  const cluster = new TestCluster();

  beforeAll(async () => {
    const up = await cluster.micado('up', '--json');
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
  });

  afterAll(async () => {
    await cluster.destroy();
  });

  it('reports every component as already up on a second up', async () => {
    const again = await cluster.micado('up', '--json');
    expect(again.code).toBe(0);
    const { steps } = JSON.parse(again.stdout) as {
      steps: { component: string; outcome: string }[];
    };
    expect(steps.map((s) => s.component)).toEqual([
      'bridge',
      'certificates',
      'manager',
      'swarm',
      'registry',
      'base image',
      'autoscaler',
    ]);
    expect(steps.every((s) => s.outcome === 'already up')).toBe(true);
  });

  it('keeps workloads off the manager', async () => {
    const [manager] = await cluster.manager().listNodes({ role: ['manager'] });
    expect(manager?.availability).toBe('drain');
    expect(manager?.capacity).toEqual({});
  });

  it('starts instances that are Ready with their labels and capacity, and accounts capacity', async () => {
    const first = await cluster.micado(
      'start',
      '-f',
      'small',
      '-t',
      'app01',
      '-n',
      'application',
      '--json',
    );
    expect(first.code, first.stderr).toBe(0);
    const second = await cluster.micado('start', '-f', 'small', '-t', 'app02', '--json');
    expect(second.code, second.stderr).toBe(0);
    const id1 = JSON.parse(first.stdout).instance.id as string;

    const manager = cluster.manager();
    const workers = await manager.listNodes({ role: ['worker'] });
    expect(workers).toHaveLength(2);
    const node1 = workers.find((n) => n.labels[NODE_LABEL.instance] === id1)!;
    expect(node1.state).toBe('ready');
    expect(node1.hostname).toBe(`${cluster.config.cluster.name}-${id1}`);
    expect(node1.labels).toMatchObject({
      [NODE_LABEL.pool]: 'application',
      [NODE_LABEL.flavour]: 'small',
      [NODE_LABEL.tag]: 'app01',
      [NODE_LABEL.driver]: 'local',
    });
    expect(node1.capacity).toEqual({ 'micado.cpu_milli': 1000, 'micado.mem_mb': 512 });

    // Each small node holds one 400 MB task: the third stays pending, and says why.
    await manager.createService({
      name: 'fill',
      image: cluster.layout.baseImage,
      command: ['sleep', '600'],
      replicas: 3,
      reservations: { 'micado.mem_mb': 400 },
    });
    const tasks = await eventually(async () => {
      const all = await manager.listTasks({ service: ['fill'] });
      const running = all.filter((t) => t.state === 'running');
      return running.length === 2 && all.length === 3 ? all : undefined;
    }, 60_000);
    const pending = tasks.filter((t) => t.state === 'pending');
    expect(pending).toHaveLength(1);
    expect(pending[0]!.error).toMatch(/insufficient resources/);
    expect(new Set(tasks.filter((t) => t.state === 'running').map((t) => t.nodeId)).size).toBe(2);

    const status = JSON.parse((await cluster.micado('status', '--json')).stdout);
    const reserved = status.nodes
      .filter((n: { role: string }) => n.role === 'worker')
      .map((n: { reserved: { memoryMb: number } }) => n.reserved.memoryMb);
    expect(reserved).toEqual([400, 400]);
    await manager.removeService('fill');
  });

  it.each([
    [[], '--manager is missing'],
    [['--manager', '10.0.0.2', '--token', 'SWMTKN-1-x', '--registry', 'r:5000', '--instance', 'i-1', '--pool', 'p', '--flavour', 'small'], "--manager must be HOST:PORT, got '10.0.0.2'"],
    [['--manager', '10.0.0.2:2377', '--token', 'secret', '--registry', 'r:5000', '--instance', 'i-1', '--pool', 'p', '--flavour', 'small'], '--token is not a swarm join token'],
    [['--manager', '10.0.0.2:2377', '--token', 'SWMTKN-1-x', '--registry', 'r:5000', '--instance', 'i-1', '--pool', 'p', '--flavour', 'small', '--tag'], '--tls (or --tls-dir) is missing'],
    [['--manager', '10.0.0.2:2377', '--token', 'SWMTKN-1-x', '--registry', 'r:5000', '--instance', 'i-1', '--pool', 'p', '--flavour', 'small', '--tls', 'bm90IGEgYnVuZGxl'], '--tls is not a bundle of a CA, a certificate and a key'],
  ])('the node boot script refuses %j in one line, exit 2', async (args, message) => {
    const result = await execute(...args);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`execute.sh: ${message}`);
    expect(result.stderr).not.toContain('secret');
  }); // prettier-ignore

  it('boots no node with a wrong join token: one line, nothing half-joined, nothing left', async () => {
    const driver = new LocalCloudDriver(cluster.config);
    const token = 'SWMTKN-1-0000000000000000000000000000000000000000000000000-wrongtoken000000000000000';
    const failed = await driver
      .start(
        { id: 'i-badtoken', pool: 'application', flavour: 'small' },
        { ...swarmEntry(cluster.layout), joinToken: token, tls: await swarmEntry(cluster.layout).issueTls('i-badtoken') },
      )
      .then(() => undefined, (err: Error) => err);
    expect(failed?.message).toMatch(
      /^local instance i-badtoken failed to start: booting \S+ failed: execute.sh: joining the swarm at \S+ failed: /,
    );
    expect(failed?.message).not.toContain(token);
    const nodes = await cluster.manager().listNodes({ label: [`${NODE_LABEL.instance}=i-badtoken`] });
    expect(nodes).toEqual([]);
    expect(await instanceLeftovers(cluster, 'i-badtoken')).toEqual([]);
    expect(await driver.list()).toEqual(expect.not.arrayContaining([expect.objectContaining({ id: 'i-badtoken' })]));
  }); // prettier-ignore

  it.each([
    ['expired', 'certificate has expired'],
    ['foreign', 'unable to get local issuer certificate'],
    ['for another instance', 'hostname mismatch'],
  ])('boots no node whose certificate is %s: one line, nothing joined, nothing left', async (kind, why) => {
    const id = `i-cert-${kind.split(' ')[0]}`;
    const files = clusterTlsFiles(cluster.config.stateDir);
    const tls =
      kind === 'expired' ? await expiredCertificate(files, id)
      : kind === 'foreign' ? { ...(await issueNodeCertificate(await ensureClusterTls(scratch(), 'foreign'), id)), ca: readFileSync(files.caCert, 'utf8') }
      : await issueNodeCertificate(files, 'i-other');
    const { worker } = await cluster.manager().joinTokens();
    const driver = new LocalCloudDriver(cluster.config);
    const failed = await driver
      .start(
        { id, pool: 'application', flavour: 'small' },
        { ...swarmEntry(cluster.layout), joinToken: worker, tls },
      )
      .then(() => undefined, (err: Error) => err);
    expect(failed?.message).toBe(
      `local instance ${id} failed to start: booting ${cluster.config.cluster.name}-${id} failed: execute.sh: the engine's certificate cannot serve instance ${id}: ${why}`,
    );
    expect(await cluster.manager().listNodes({ label: [`${NODE_LABEL.instance}=${id}`] })).toEqual([]);
    expect(await instanceLeftovers(cluster, id)).toEqual([]);
  }); // prettier-ignore

  it('stops an instance: its node leaves the swarm and its namespace is gone', async () => {
    const stop = await cluster.micado('stop', '-t', 'app02');
    expect(stop.code, stop.stderr).toBe(0);
    const workers = await cluster.manager().listNodes({ role: ['worker'] });
    expect(workers.map((n) => n.labels[NODE_LABEL.tag])).toEqual(['app01']);
    const left = await cluster.leftovers();
    expect(left.filter((l) => l.startsWith('namespace'))).toHaveLength(2); // manager and app01
  });

  it('takes everything down and leaves nothing on the host', async () => {
    const down = await cluster.destroy();
    expect(down.code, down.stderr).toBe(0);
    expect(await cluster.leftovers()).toEqual([]);
  });
});
