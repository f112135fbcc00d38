/**
 * CloudDriver over CloudBroker: a machine is a job of the cloud's node application,
 * whose instance boots a micado node that joins the swarm with the parameters it is
 * given. The job is named after the instance id, so a start retried after a crash
 * finds its job instead of paying for another VM.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MicadoConfig } from '../config/config.js';
import { MicadoError, usageError } from '../errors.js';
import {
  bootParameters,
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
import { CloudBrokerError } from './cloudbroker-error.js';
import { MachineRecords } from './machine-records.js';
import { isTransientFault, retryTransient } from './transient-retry.js';
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
  private readonly records: MachineRecords<JobRecord>;

  constructor(
    private readonly config: MicadoConfig,
    private readonly definition: CloudDefinition,
    private readonly application: ApplicationDefinition | undefined,
    private readonly client: CloudBrokerClient,
  ) {
    this.records = new MachineRecords(join(config.stateDir, 'cloudbroker'), definition.name);
  }

  get cloud(): string {
    return this.definition.name;
  }

  async start(
    request: InstanceRequest,
    bootstrap: NodeBootstrap | Promise<NodeBootstrap>,
    onPhase?: (phase: string) => void,
  ): Promise<Instance> {
    const flavour = Object.keys(this.definition.flavours).find(
      (f) => f.toLowerCase() === request.flavour.toLowerCase(),
    );
    const instanceType = flavour === undefined ? undefined : this.definition.flavours[flavour];
    if (!instanceType) {
      const known = Object.keys(this.definition.flavours).join(', ');
      throw usageError(
        `cloud ${this.definition.name} has no flavour '${request.flavour}': use one of ${known}`,
      );
    }
    if (!this.application)
      throw usageError(`say which application to run on ${this.definition.name}: -a NAME`);
    if (!isValidInstanceId(request.id)) throw usageError(`invalid instance id '${request.id}'`);
    const record: JobRecord = this.records.read(request.id) ?? {
      id: request.id,
      cloud: this.definition.name,
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
    this.records.write(record);
    const deadline = Date.now() + this.config.cloudbroker.provisionTimeoutMs;
    const step = <T>(what: string, fn: () => Promise<T>) =>
      retryTransient(fn, {
        deadline,
        onRetry: (err) => onPhase?.(`${what}: ${err.message}; trying again`),
      });
    const application = this.application;
    try {
      onPhase?.(`creating a CloudBroker job on ${this.definition.name}`);
      const [softwareId, executableId, resourceId, regionId] = await step('catalog', () =>
        Promise.all([
          this.client.idOf('softwares', application.software),
          this.client.idOf('executables', application.executable),
          this.client.idOf('resources', this.definition.provider),
          this.client.idOf('regions', this.definition.region),
        ]),
      );
      const boot = await bootstrap;
      // Safe to repeat: a create looks the job up by its unique name first.
      const job = await step('create', () =>
        this.client.createJob({
          name: record.jobName,
          softwareId,
          executableId,
          resourceId,
          regionId,
          instanceTypeId: instanceType,
          permanentlyRunning: true,
          arguments: renderParameters(application.parameters, {
            ...bootParameters(request, boot),
            tag: request.tag ?? '',
          }),
        }),
      );
      record.jobId = job.id;
      this.records.write(record);
      // Safe to repeat: a job already past `created` counts as submitted.
      await step('submit', () => this.client.submitJob(job.id));
      record.address = await this.waitForAddress(job, deadline, onPhase);
      this.records.write(record);
      return this.view(record, 'running');
    } catch (err) {
      // What was started is given back: no VM outlives a failed start.
      await this.stop(request.id).catch(() => undefined);
      throw err;
    }
  }

  async stop(id: string): Promise<void> {
    const record = this.records.read(id);
    if (!record) return;
    const deadline = Date.now() + this.config.cloudbroker.stopTimeoutMs;
    const step = <T>(fn: () => Promise<T>) => retryTransient(fn, { deadline });
    // Every job of the instance's name goes: one made twice by a late create included.
    const named = await step(() => this.client.jobsNamed(record.jobName));
    const jobs = new Set(named.map((j) => j.id));
    if (record.jobId) jobs.add(record.jobId);
    for (const job of jobs) {
      // A job the platform no longer knows is stopped: each step takes "not found" so.
      await step(() => this.client.stopJob(job));
      await this.waitForJob(job, ENDED_JOB_STATES, deadline);
      await step(() => this.client.deleteJob(job));
    }
    this.records.remove(id);
  }

  /** Drop the record of a machine without asking the platform (the user gave up on it). */
  forget(id: string): void {
    this.records.remove(id);
  }

  async list(): Promise<Instance[]> {
    const records = this.records.all();
    if (records.length === 0) return [];
    // A platform that does not answer leaves the machines known, their state unknown:
    // `down` must still find them to say which are left running.
    const listed = await this.client.list('jobs').catch((err: unknown) => {
      if (err instanceof CloudBrokerError) return [];
      throw err;
    });
    const jobs = new Map(listed.map((j) => [j.name, j]));
    return records.map((r) => this.view(r, stateOf(jobs.get(r.jobName)?.status)));
  }

  async get(id: string): Promise<Instance | undefined> {
    const record = this.records.read(id);
    if (!record) return undefined;
    const job = record.jobId
      ? await this.client.get('jobs', record.jobId).catch(() => undefined)
      : undefined;
    return this.view(record, stateOf(job?.status));
  }

  /**
   * The instance's address once the job runs; fails fast when the job fails. A poll
   * that meets a transient fault is just a poll that saw nothing new.
   */
  private async waitForAddress(
    job: Job,
    deadline: number,
    onPhase?: (phase: string) => void,
  ): Promise<string> {
    let last = '';
    for (;;) {
      let phase: string;
      try {
        const [current, instances] = await Promise.all([
          this.client.get('jobs', job.id),
          this.client.jobInstances(job.id),
        ]);
        const status = (current.status ?? 'unknown').toLowerCase();
        const address = instances.find((i) => i.address)?.address;
        phase = `job ${status}${address ? `, instance at ${address}` : instances[0] ? `, instance ${instances[0].status}` : ''}`;
        if (address && status === 'running') return address;
        if (ENDED_JOB_STATES.includes(status) || ['stopping', 'finishing'].includes(status)) {
          throw new MicadoError(
            'cloud',
            `CloudBroker job ${job.id} ended as ${status} before its instance was up`,
          );
        }
      } catch (err) {
        if (!isTransientFault(err)) throw err;
        phase = `job not read: ${err.message}`;
      }
      if (phase !== last) onPhase?.(phase);
      last = phase;
      if (Date.now() > deadline) {
        throw new MicadoError(
          'cloud',
          `CloudBroker job ${job.id} has no running instance with an address after ${Math.round(this.config.cloudbroker.provisionTimeoutMs / 1000)} s (${phase})`,
        );
      }
      await sleep(this.config.cloudbroker.pollIntervalMs);
    }
  }

  /**
   * Wait until the job is in one of `states`, or the platform no longer knows it. Faults
   * are borne until `faultDeadline`; a job that answers but takes its time, until the
   * provisioning timeout.
   */
  private async waitForJob(id: string, states: string[], faultDeadline: number): Promise<void> {
    const deadline = Date.now() + this.config.cloudbroker.provisionTimeoutMs;
    for (;;) {
      let status = 'unknown';
      try {
        status = (await this.client.get('jobs', id)).status?.toLowerCase() ?? 'unknown';
        if (states.includes(status)) return;
      } catch (err) {
        if (err instanceof CloudBrokerError && err.fault === 'not found') return;
        if (!isTransientFault(err) || Date.now() > faultDeadline) throw err;
      }
      if (Date.now() > deadline)
        throw new MicadoError(
          'cloud',
          `CloudBroker job ${id} is still ${status} after ${Math.round(this.config.cloudbroker.provisionTimeoutMs / 1000)} s`,
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
