/**
 * CloudDriver over CloudBroker: a machine is a job of the cloud's node application,
 * whose instance boots a micado node that joins the swarm with the parameters it is
 * given. The job is named after the instance id, so a start retried after a crash
 * finds its job instead of paying for another VM.
 */
import type { MicadoConfig } from '../config/config.js';
import { bootSecretsDir } from '../config/token-files.js';
import { OneTimeSecrets } from '../host/one-time-secrets.js';
import { MicadoError, usageError } from '../errors.js';
import {
  bootParameters,
  tlsBundle,
  type Instance,
  type InstanceRequest,
  type InstanceState,
} from '../cloud/cloud-driver.js';
import {
  ENDED_JOB_STATES,
  PENDING_JOB_STATES,
  type CloudBrokerClient,
  type Job,
} from './cloudbroker-client.js';
import {
  CloudBrokerMachines,
  type BootContext,
  type MachineRecord,
} from './cloudbroker-machines.js';
import { listedOrNone, pollUntil, waitForStatus } from './machine-steps.js';
import { retryTransient } from './transient-retry.js';
import {
  renderParameters,
  type ApplicationDefinition,
  type CloudDefinition,
} from './cloud-setup.js';

interface JobRecord extends MachineRecord {
  application: string;
  jobName: string;
  jobId: string | undefined;
}

export const jobNameOf = (instanceId: string) => `micado-${instanceId}`;

export class CloudBrokerDriver extends CloudBrokerMachines<JobRecord> {
  constructor(
    config: MicadoConfig,
    definition: CloudDefinition,
    private readonly application: ApplicationDefinition | undefined,
    private readonly client: CloudBrokerClient,
  ) {
    super(config, definition);
  }

  protected override checkStart(): void {
    if (!this.application)
      throw usageError(`say which application to run on ${this.definition.name}: -a NAME`);
  }

  protected recordOf(request: InstanceRequest) {
    return { application: this.application!.name, jobName: jobNameOf(request.id), jobId: undefined }; // prettier-ignore
  }

  protected async boot(record: JobRecord, context: BootContext): Promise<string> {
    const { request, bootstrap, instanceType, deadline, step, onPhase } = context;
    const application = this.application!;
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
    // The job's arguments, which the platform keeps, carry a one-time code for the node's
    // secrets, never the secrets: the node fetches them from the catalog once, at boot.
    // A line each: the join token, the TLS bundle, and the catalog's read token (a
    // proxy's route agent reads an https catalog with it).
    const code = new OneTimeSecrets(bootSecretsDir(this.config)).put(
      `${boot.joinToken}\n${tlsBundle(boot.tls)}\n${boot.catalogToken ?? ''}\n`,
      this.config.cloudbroker.provisionTimeoutMs,
    );
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
          token: '',
          tls: '',
          boot: code,
          tag: request.tag ?? '',
        }),
      }),
    );
    record.jobId = job.id;
    this.records.write(record);
    // Safe to repeat: a job already past `created` counts as submitted.
    await step('submit', () => this.client.submitJob(job.id));
    return this.waitForAddress(job, deadline, onPhase);
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

  async list(): Promise<Instance[]> {
    const records = this.records.all();
    if (records.length === 0) return [];
    // A platform that does not answer leaves the machines known, their state unknown:
    // `down` must still find them to say which are left running.
    const listed = await listedOrNone(this.client.list('jobs'));
    const jobs = new Map(listed.map((j) => [j.name, j]));
    return records.map((r) => this.machine(r, stateOf(jobs.get(r.jobName)?.status)));
  }

  async get(id: string): Promise<Instance | undefined> {
    const record = this.records.read(id);
    if (!record) return undefined;
    const job = record.jobId
      ? await this.client.get('jobs', record.jobId).catch(() => undefined)
      : undefined;
    return this.machine(record, stateOf(job?.status));
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
    return pollUntil(this.config, {
      deadline,
      onPhase,
      look: async () => {
        const [current, instances] = await Promise.all([
          this.client.get('jobs', job.id),
          this.client.jobInstances(job.id),
        ]);
        const status = (current.status ?? 'unknown').toLowerCase();
        const address = instances.find((i) => i.address)?.address;
        if (ENDED_JOB_STATES.includes(status) || ['stopping', 'finishing'].includes(status)) {
          throw new MicadoError(
            'cloud',
            `CloudBroker job ${job.id} ended as ${status} before its instance was up`,
          );
        }
        return {
          phase: `job ${status}${address ? `, instance at ${address}` : instances[0] ? `, instance ${instances[0].status}` : ''}`,
          found: address && status === 'running' ? address : undefined,
        };
      },
      timeout: (phase) =>
        `CloudBroker job ${job.id} has no running instance with an address after ${Math.round(this.config.cloudbroker.provisionTimeoutMs / 1000)} s (${phase})`,
    });
  }

  /** Wait until the job is in one of `states`, or the platform no longer knows it. */
  private async waitForJob(id: string, states: string[], faultDeadline: number): Promise<void> {
    const status = async () => (await this.client.get('jobs', id)).status?.toLowerCase() ?? 'unknown'; // prettier-ignore
    await waitForStatus(this.config, `CloudBroker job ${id}`, status, states, faultDeadline);
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
