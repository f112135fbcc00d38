/**
 * The embedded default driver: an instance is a local host (network namespace on
 * micado's bridge with its own dockerd) booted as every node is, by the node package's
 * execute.sh: it joins the swarm as a worker, advertising its flavour's capacity as
 * generic resources, its engine reachable over mutual TLS.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROXY_POOL, type MicadoConfig } from '../../config/config.js';
import { MicadoError, usageError } from '../../errors.js';
import { parseSubnet } from '../../host/ipv4.js';
import { isRunning, processRecordOf } from '../../host/process.js';
import {
  bootArguments,
  bootParameters,
  isValidInstanceId,
  nodeLabels,
  type CloudDriver,
  type EngineEndpoint,
  type Instance,
  type InstanceRequest,
  type NodeBootstrap,
} from '../cloud-driver.js';
import { writeTlsFiles } from '../../host/certificates.js';
import { writeServedCertificate } from '../../host/served-certificate.js';
import { packageFile } from '../../host/package-files.js';
import { ENGINE_TLS_PORT } from '../../namespace-host/dockerd-command.js';
import {
  bootNodeHost,
  launchOnHost,
  destroyLocalHost,
  vethName,
  type LocalHostRecord,
} from '../../namespace-host/local-host.js';
import { LocalRecords, type LocalInstanceRecord } from './local-records.js';
import { NODE_LABEL } from '../../swarm/labels.js';

export const LOCAL_RECORDS = 'instances';
/** Where the CloudBroker emulator records the local machines behind its instances. */
export const EMULATOR_RECORDS = 'emulator-instances';

export class LocalCloudDriver implements CloudDriver {
  readonly name = 'local';
  readonly cloud = 'local';
  private readonly records: LocalRecords;

  /** `records` names where the machines are recorded: micado's own by default. */
  constructor(
    private readonly config: MicadoConfig,
    records = LOCAL_RECORDS,
  ) {
    this.records = new LocalRecords(config.stateDir, records);
  }

  async start(
    request: InstanceRequest,
    bootstrap: NodeBootstrap | Promise<NodeBootstrap>,
  ): Promise<Instance> {
    if (!this.config.flavours[request.flavour]) {
      const known = Object.keys(this.config.flavours).join(', ');
      throw usageError(`unknown flavour '${request.flavour}': use one of ${known}`);
    }
    if (!isValidInstanceId(request.id)) {
      throw usageError(`invalid instance id '${request.id}': use lower-case letters, digits and -`);
    }
    // The node package announces its instance, pool, flavour, tag and engine itself.
    const labels = nodeLabels(request, this.name);
    // Membership is the manager's word alone, on the node once it joins: never the engine's.
    const own = [NODE_LABEL.instance, NODE_LABEL.pool, NODE_LABEL.flavour, NODE_LABEL.tag];
    for (const label of [...own, NODE_LABEL.member]) delete labels[label];
    const script = packageFile(request.pool === PROXY_POOL ? 'proxy' : 'node', 'execute.sh');
    return this.startMachine(
      request,
      async (host) => {
        const boot = await bootstrap;
        // The key and the join token go to files of the node's (mode 600), not onto a
        // command line any process on the host can read.
        const tlsDir = join(host.dir, 'tls');
        writeTlsFiles(boot.tls, tlsDir);
        const tokenFile = join(host.dir, 'join-token');
        writeFileSync(tokenFile, boot.joinToken, { mode: 0o600 });
        const served = boot.certificate && writeServedCertificate(boot.certificate, join(host.dir, 'certificate')); // prettier-ignore
        const catalogTokenFile = join(host.dir, 'catalog-token');
        if (boot.catalogToken) writeFileSync(catalogTokenFile, boot.catalogToken, { mode: 0o600 });
        return [
          ...bootArguments({ ...bootParameters(request, boot), token: '', tls: '', certificate: '', ca: '' }), // prettier-ignore
          '--token-file',
          tokenFile,
          '--tls-dir',
          tlsDir,
          ...(served ? ['--certificate-dir', served] : []),
          ...(boot.catalogToken ? ['--catalog-token-file', catalogTokenFile] : []),
          ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
        ];
      },
      script,
    );
  }

  /**
   * Make a machine of the request's flavour and boot it with the node package
   * (`script`, packages/node/execute.sh unless told), told the parameters `boot`
   * gives once the machine's host is known: what a cloud's VM is told at boot. They
   * may come while the host is made (its namespace does not wait for a certificate).
   */
  async startMachine(
    request: Pick<InstanceRequest, 'id' | 'pool' | 'flavour' | 'tag'>,
    boot: (host: LocalHostRecord) => string[] | Promise<string[]>,
    script = packageFile('node', 'execute.sh'),
    env?: Record<string, string>,
    /** Up once the machine is, its script left running on its own (a cloud VM's boot). */
    detached = false,
  ): Promise<Instance> {
    const flavour = this.config.flavours[request.flavour];
    if (!flavour) throw usageError(`unknown flavour '${request.flavour}'`);
    const existing = this.records.read(request.id);
    if (existing) {
      const view = publicView(existing);
      if (view.state === 'running') return view;
      // A start whose starter died (a manager killed mid-way) left a half-made host:
      // it is taken down and made again under the same id, never a second one.
      await this.stop(request.id);
    }

    const subnet = parseSubnet(this.config.network.subnet)!;
    const address = this.records.reserveAddress(subnet);
    const { name: cluster } = this.config.cluster;
    const host: LocalHostRecord = {
      namespace: `${cluster}-${request.id}`,
      hostVeth: vethName(cluster, request.id),
      bridge: this.config.network.bridge,
      address,
      prefix: subnet.prefix,
      dir: join(this.config.stateDir, 'nodes', request.id),
      cgroup: `${cluster}/${request.id}`,
    };
    const record: LocalInstanceRecord = {
      ...request,
      tag: request.tag,
      driver: this.name,
      address,
      state: 'starting',
      createdAt: new Date().toISOString(),
      host,
      ...(detached ? { vm: true } : {}),
    };
    this.records.write(record);
    try {
      if (detached) {
        await launchOnHost(host, script, await boot(host), flavour, env);
        record.state = 'running';
        this.records.write(record);
        return publicView(record);
      }
      host.process = await bootNodeHost(
        host,
        script,
        boot(host),
        flavour,
        this.config.local.readyTimeoutMs,
        env,
      );
      record.state = 'running';
      this.records.write(record);
      return publicView(record);
    } catch (err) {
      await this.stop(request.id).catch(() => undefined);
      throw new MicadoError(
        'cloud',
        `local instance ${request.id} failed to start: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async stop(id: string): Promise<void> {
    const record = this.records.read(id);
    if (!record) return;
    record.state = 'stopping';
    this.records.write(record);
    // The engine running now is stopped (let shut down, as on a power-off's ACPI signal):
    // a VM's, if its boot started one, or one its service started again since.
    if (!record.host.process || !isRunning(record.host.process))
      record.host.process = engineOf(record.host);
    await destroyLocalHost(record.host, this.config.local.stopGraceMs);
    this.records.releaseAddress(record.host.address);
    this.records.remove(id);
  }

  async list(): Promise<Instance[]> {
    return this.records.list().map(publicView);
  }

  async get(id: string): Promise<Instance | undefined> {
    const record = this.records.read(id);
    return record ? publicView(record) : undefined;
  }

  /** Over TCP and mutual TLS, as every node's engine is reached (the socket is the node's own). */
  engineAddress(id: string): EngineEndpoint | undefined {
    const record = this.records.read(id);
    return record ? { host: record.host.address, port: ENGINE_TLS_PORT } : undefined;
  }
}

/** The engine a machine's boot script, or its service since, started (from its dockerd.pid), if it runs. */
function engineOf(host: LocalHostRecord) {
  try {
    const engine = processRecordOf(
      Number(readFileSync(join(host.dir, 'dockerd.pid'), 'utf8').trim()),
    );
    // A killed engine its parent has not reaped yet (a zombie) runs no more.
    return engine && isRunning(engine) ? engine : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record as the driver interface shows it; a dead engine shows as failed, unless
 * its service started it again (after a crash, or a reboot).
 */
function publicView(record: LocalInstanceRecord): Instance {
  const { host, ...instance } = record;
  const up = record.vm
    ? existsSync(`/var/run/netns/${host.namespace}`)
    : (host.process !== undefined && isRunning(host.process)) || engineOf(host) !== undefined;
  const dead = record.state === 'running' && !up;
  return { ...instance, state: dead ? 'failed' : record.state };
}
