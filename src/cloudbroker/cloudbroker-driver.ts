/**
 * CloudDriver over CloudBroker: a machine is a job of the cloud's node application,
 * whose instance boots a micado node that joins the swarm with the parameters it is
 * given. The job is named after the instance id, so a start retried after a crash
 * finds its job instead of paying for another VM.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MicadoConfig } from '../config/config.js';
import { MicadoError, usageError } from '../errors.js';
import {
  isValidInstanceId,
  type CloudDriver,
  type Instance,
  type InstanceRequest,
  type InstanceState,
  type NodeBootstrap,
} from '../cloud/cloud-driver.js';
import {
  ENDED_JOB_STATES,
  PENDING_JOB_STATES,
  type CloudBrokerClient,
  type Job,
} from './cloudbroker-client.js';
import {
  renderParameters,
  type ApplicationDefinition,
  type CloudDefinition,
} from './cloud-setup.js';

interface JobRecord {
  id: string;
  cloud: string;
  application: string;
  pool: string;
  flavour: string;
  tag: string | undefined;
  jobName: string;
  jobId: string | undefined;
  address: string | undefined;
  createdAt: string;
}

export const jobNameOf = (instanceId: string) => `micado-${instanceId}`;

export class CloudBrokerDriver implements CloudDriver {
  readonly name = 'cloudbroker';
  private readonly dir: string;

  constructor(
    private readonly config: MicadoConfig,
    private readonly cloud: CloudDefinition,
    private readonly application: ApplicationDefinition | undefined,
    private readonly client: CloudBrokerClient,
  ) {
    this.dir = join(config.stateDir, 'cloudbroker');
  }

  async start(
    request: InstanceRequest,
    bootstrap: NodeBootstrap,
    onPhase?: (phase: string) => void,
  ): Promise<Instance> {
    const instanceType = this.cloud.flavours[request.flavour];
    if (!instanceType) {
      const known = Object.keys(this.cloud.flavours).join(', ');
      throw usageError(
        `cloud ${this.cloud.name} has no flavour '${request.flavour}': use one of ${known}`,
      );
    }
    if (!this.application)
      throw usageError(`say which application to run on ${this.cloud.name}: -a NAME`);
    if (!isValidInstanceId(request.id)) throw usageError(`invalid instance id '${request.id}'`);
    const record: JobRecord = this.read(request.id) ?? {
      id: request.id,
      cloud: this.cloud.name,
      application: this.application.name,
      pool: request.pool,
      flavour: request.flavour,
      tag: request.tag,
      jobName: jobNameOf(request.id),
      jobId: undefined,
      address: undefined,
      createdAt: new Date().toISOString(),
    };
    // Recorded before the job exists: a crash from here on leaves a name to find it by.
    this.write(record);
    try {
      onPhase?.(`creating a CloudBroker job on ${this.cloud.name}`);
      const [softwareId, executableId, resourceId, regionId] = await Promise.all([
        this.client.idOf('softwares', this.application.software),
        this.client.idOf('executables', this.application.executable),
        this.client.idOf('resources', this.cloud.provider),
        this.client.idOf('regions', this.cloud.region),
      ]);
      const job = await this.client.createJob({
        name: record.jobName,
        softwareId,
        executableId,
        resourceId,
        regionId,
        instanceTypeId: instanceType,
        permanentlyRunning: true,
        arguments: renderParameters(this.application.parameters, {
          manager: bootstrap.managerAddress,
          token: bootstrap.joinToken,
          registry: bootstrap.registry,
          instance: request.id,
          pool: request.pool,
          flavour: request.flavour,
          tag: request.tag ?? '',
        }),
      });
      record.jobId = job.id;
      this.write(record);
      await this.client.submitJob(job.id);
      record.address = await this.waitForAddress(job, onPhase);
      this.write(record);
      return this.view(record, 'running');
    } catch (err) {
      // What was started is given back: no VM outlives a failed start.
      await this.stop(request.id).catch(() => undefined);
      throw err;
    }
  }

  async stop(id: string): Promise<void> {
    const record = this.read(id);
    if (!record) return;
    // Every job of the instance's name goes: one made twice by a late create included.
    const jobs = new Set((await this.client.jobsNamed(record.jobName)).map((j) => j.id));
    if (record.jobId) jobs.add(record.jobId);
    for (const job of jobs) {
      await this.client.stopJob(job);
      await this.waitForJob(job, ENDED_JOB_STATES, this.config.cloudbroker.provisionTimeoutMs);
      await this.client.deleteJob(job);
    }
    rmSync(this.file(id), { force: true });
  }

  async list(): Promise<Instance[]> {
    const records = this.records();
    if (records.length === 0) return [];
    const jobs = new Map((await this.client.list('jobs')).map((j) => [j.name, j]));
    return records.map((r) => this.view(r, stateOf(jobs.get(r.jobName)?.status)));
  }

  async get(id: string): Promise<Instance | undefined> {
    const record = this.read(id);
    if (!record) return undefined;
    const job = record.jobId
      ? await this.client.get('jobs', record.jobId).catch(() => undefined)
      : undefined;
    return this.view(record, stateOf(job?.status));
  }

  /** The instance's address once the job runs; fails fast when the job fails. */
  private async waitForAddress(job: Job, onPhase?: (phase: string) => void): Promise<string> {
    const deadline = Date.now() + this.config.cloudbroker.provisionTimeoutMs;
    let last = '';
    for (;;) {
      const [current, instances] = await Promise.all([
        this.client.get('jobs', job.id),
        this.client.jobInstances(job.id),
      ]);
      const status = (current.status ?? 'unknown').toLowerCase();
      const address = instances.find((i) => i.address)?.address;
      const phase = `job ${status}${address ? `, instance at ${address}` : instances[0] ? `, instance ${instances[0].status}` : ''}`;
      if (phase !== last) onPhase?.(phase);
      last = phase;
      if (address && status === 'running') return address;
      if (ENDED_JOB_STATES.includes(status) || ['stopping', 'finishing'].includes(status)) {
        throw new MicadoError(
          'cloud',
          `CloudBroker job ${job.id} ended as ${status} before its instance was up`,
        );
      }
      if (Date.now() > deadline) {
        throw new MicadoError(
          'cloud',
          `CloudBroker job ${job.id} has no running instance with an address after ${Math.round(this.config.cloudbroker.provisionTimeoutMs / 1000)} s (${phase})`,
        );
      }
      await sleep(this.config.cloudbroker.pollIntervalMs);
    }
  }

  private async waitForJob(id: string, states: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = (await this.client.get('jobs', id)).status?.toLowerCase() ?? 'unknown';
      if (states.includes(status)) return;
      if (Date.now() > deadline)
        throw new MicadoError(
          'cloud',
          `CloudBroker job ${id} is still ${status} after ${Math.round(timeoutMs / 1000)} s`,
        );
      await sleep(this.config.cloudbroker.pollIntervalMs);
    }
  }

  private view(record: JobRecord, state: InstanceState): Instance {
    return {
      id: record.id,
      driver: this.name,
      cloud: record.cloud,
      pool: record.pool,
      flavour: record.flavour,
      tag: record.tag,
      address: record.address,
      state,
      createdAt: record.createdAt,
    };
  }

  private file(id: string) {
    return join(this.dir, `${id}.json`);
  }

  private read(id: string): JobRecord | undefined {
    try {
      const record = JSON.parse(readFileSync(this.file(id), 'utf8')) as JobRecord;
      return record.cloud === this.cloud.name ? record : undefined;
    } catch {
      return undefined;
    }
  }

  private write(record: JobRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(`${this.file(record.id)}.tmp`, JSON.stringify(record, null, 2), { mode: 0o600 });
    renameSync(`${this.file(record.id)}.tmp`, this.file(record.id));
  }

  private records(): JobRecord[] {
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    return names
      .map((n) => this.read(n.slice(0, -5)))
      .filter((r): r is JobRecord => r !== undefined);
  }
}

function stateOf(status: string | undefined): InstanceState {
  if (status === undefined) return 'unknown';
  const s = status.toLowerCase();
  if (PENDING_JOB_STATES.includes(s)) return 'starting';
  if (s === 'running') return 'running';
  if (s === 'stopping' || s === 'finishing') return 'stopping';
  if (ENDED_JOB_STATES.includes(s)) return 'failed';
  return 'unknown';
}
