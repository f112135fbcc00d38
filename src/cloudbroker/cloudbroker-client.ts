/**
 * A typed client of CloudBroker's REST/XML API. Reads are retried on timeouts, refused
 * connections and 5xx, with capped exponential backoff and full jitter. Writes are not
 * repeated blindly: a job is created only after looking it up by its unique name, and a
 * state change whose answer went wrong asks the job where it is, so a retried start
 * can never pay for a second VM. Callers repeat whole steps (see transient-retry.ts).
 */
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { setTimeout as delay } from 'node:timers/promises';
import { CloudBrokerError, faultOf } from './cloudbroker-error.js';
import { listElement, RECORD_ELEMENT, type CbResource } from './cloudbroker-resources.js';
import {
  buildXml,
  errorsOf,
  listOf,
  parseXml,
  recordOf,
  type CbRecord,
} from './cloudbroker-xml.js';

export type { CbResource } from './cloudbroker-resources.js';

export interface CloudBrokerClientOptions {
  baseUrl: string;
  email: string;
  password: string;
  /** PEM certificates to trust beside the system's roots (a private platform's CA). */
  ca?: string;
  timeoutMs?: number;
  /** Attempts of a read, the first included. */
  readAttempts?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  pageSize?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface JobSpec {
  /** Unique: how a retried create finds the job a lost answer made. */
  name: string;
  softwareId: string;
  executableId: string;
  resourceId: string;
  regionId: string;
  instanceTypeId: string;
  permanentlyRunning: boolean;
  /** The application's parameters, from its template in cloudsetup.xml. */
  arguments?: string;
}

/** A VM asked of the instance API. */
export interface InstanceSpec {
  /** Unique: how a retried create finds the instance a lost answer made. */
  name: string;
  deploymentId: string;
  instanceTypeId: string;
  keyPairId?: string;
  openedPorts?: string;
  /** Cloud-init user-data, sent base64 (it holds secrets: never logged). */
  userData: string;
}

/** An instance as the instance API shows it. */
export interface CloudInstance {
  id: string;
  name: string;
  /** starting | initializing | preparing | running | stopping | halted */
  status: string;
  /** external-ip-address, else internal-ip-address; undefined while "not allocated". */
  address: string | undefined;
  internalAddress: string | undefined;
  externalAddress: string | undefined;
  internalHostname: string | undefined;
  externalHostname: string | undefined;
}

/** What an instance has cost so far, as the platform says. */
export interface InstanceCost {
  total: number;
  currency: string | undefined;
}

/** Instance states in which the VM is still on its way up; and those in which it is gone. */
export const PENDING_INSTANCE_STATES = ['starting', 'initializing', 'preparing'];
export const GONE_INSTANCE_STATES = ['stopping', 'halted'];

export interface Job {
  id: string;
  name: string;
  status: string;
}

export interface CbInstance {
  id: string;
  jobId: string;
  status: string;
  /** external-ip-address, else internal-ip-address; undefined while "not allocated". */
  address: string | undefined;
}

/** Job states in which the VM is still on its way up. */
export const PENDING_JOB_STATES = ['created', 'submitted', 'assembling', 'starting', 'preparing'];
export const ENDED_JOB_STATES = ['completed', 'failed', 'canceled', 'cancelled'];

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class CloudBrokerClient {
  private readonly http: AxiosInstance;
  private readonly options: Required<
    Omit<CloudBrokerClientOptions, 'baseUrl' | 'email' | 'password' | 'ca'>
  >;
  private readonly ids = new Map<string, Promise<string>>();

  constructor(options: CloudBrokerClientOptions) {
    this.options = {
      timeoutMs: options.timeoutMs ?? 30_000,
      readAttempts: options.readAttempts ?? 5,
      backoffMs: options.backoffMs ?? 250,
      maxBackoffMs: options.maxBackoffMs ?? 8_000,
      pageSize: options.pageSize ?? 100,
      sleep: options.sleep ?? ((ms) => delay(ms)),
      random: options.random ?? Math.random,
    };
    this.http = axios.create({
      baseURL: options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`,
      auth: { username: options.email, password: options.password },
      timeout: this.options.timeoutMs,
      responseType: 'text',
      transformResponse: [(body: string) => body],
      maxContentLength: MAX_BODY_BYTES,
      maxBodyLength: MAX_BODY_BYTES,
      maxRedirects: 0,
      // A private platform's CA is trusted beside the system's roots, not instead of them.
      ...(options.ca ? { httpsAgent: new Agent({ ca: [...rootCertificates, options.ca] }) } : {}),
      validateStatus: () => true,
      headers: { Accept: 'application/xml', 'Content-Type': 'application/xml' },
    });
  }

  /** Every record of a resource, page by page. */
  async list(resource: CbResource, query: Record<string, string> = {}): Promise<CbRecord[]> {
    const records: CbRecord[] = [];
    let previous = '';
    for (let page = 1; ; page++) {
      const params = { ...query, page: String(page), per_page: String(this.options.pageSize) };
      const document = await this.read(`${resource}.xml`, params);
      const batch = listOf(document, listElement(resource), RECORD_ELEMENT[resource]);
      // A server that ignores `page` would otherwise be read forever.
      const ids = batch.map((r) => r.id).join(',');
      if (batch.length > 0 && ids === previous) {
        throw new CloudBrokerError(
          'protocol',
          `${resource}.xml repeats page ${page - 1} as page ${page}`,
        );
      }
      previous = ids;
      records.push(...batch);
      if (batch.length < this.options.pageSize) return records;
    }
  }

  async get(resource: CbResource, id: string): Promise<CbRecord> {
    return recordOf(
      await this.read(`${resource}/${encodeURIComponent(id)}.xml`),
      RECORD_ELEMENT[resource],
    );
  }

  /** The id of the record named `name` (softwares, resources, …), looked up once. */
  idOf(resource: CbResource, name: string): Promise<string> {
    const key = `${resource}/${name}`;
    let id = this.ids.get(key);
    if (!id) {
      id = this.list(resource).then((records) => {
        const found = records.find((r) => r.name === name);
        if (!found?.id) {
          const known = records
            .map((r) => r.name)
            .filter(Boolean)
            .slice(0, 10)
            .join(', ');
          throw new CloudBrokerError(
            'not found',
            `no ${RECORD_ELEMENT[resource]} named '${name}' (known: ${known || 'none'})`,
          );
        }
        return found.id;
      });
      id.catch(() => this.ids.delete(key));
      this.ids.set(key, id);
    }
    return id;
  }

  async findJobByName(name: string): Promise<Job | undefined> {
    return (await this.jobsNamed(name))[0];
  }

  /** Every job of that name (more than one only if a create landed after its lookup). */
  async jobsNamed(name: string): Promise<Job[]> {
    return (await this.list('jobs')).filter((job) => job.name === name).map(toJob);
  }

  /**
   * Create the job unless it exists. A create whose answer was lost is not repeated
   * blindly: the job is looked up by name first, and made again only if absent.
   */
  async createJob(spec: JobSpec): Promise<Job> {
    const body = buildXml('job', {
      name: spec.name,
      'software-id': spec.softwareId,
      'executable-id': spec.executableId,
      'resource-id': spec.resourceId,
      'region-id': spec.regionId,
      'instance-type-id': spec.instanceTypeId,
      'permanently-running': spec.permanentlyRunning,
      ...(spec.arguments === undefined ? {} : { arguments: spec.arguments }),
    });
    return this.createOnce(
      () => this.findJobByName(spec.name),
      async () => toJob(recordOf(await this.write('post', 'jobs.xml', body), 'job')),
    );
  }

  /** Every instance of that name (more than one only if a create landed after its lookup). */
  async instancesNamed(name: string): Promise<CloudInstance[]> {
    return (await this.list('instances')).filter((i) => i.name === name).map(toCloudInstance);
  }

  /**
   * Start a VM of a deployment unless one of that name exists; as a job's create, one
   * whose answer was lost is looked up by name before it is asked for again.
   */
  async createInstance(spec: InstanceSpec): Promise<CloudInstance> {
    const body = buildXml('instance', {
      name: spec.name,
      'deployment-id': spec.deploymentId,
      'instance-type-id': spec.instanceTypeId,
      ...(spec.keyPairId ? { 'key-pair-id': spec.keyPairId } : {}),
      ...(spec.openedPorts ? { 'opened-port': spec.openedPorts } : {}),
      'disable-autostop': true,
      isolated: true,
      'cloud-init': Buffer.from(spec.userData).toString('base64'),
      'cloud-init-b64': true,
    });
    return this.createOnce(
      async () => (await this.instancesNamed(spec.name))[0],
      async () =>
        toCloudInstance(recordOf(await this.write('post', 'instances.xml', body), 'instance')),
    );
  }

  async getInstance(id: string): Promise<CloudInstance> {
    return toCloudInstance(await this.get('instances', id));
  }

  /** Stop the VM; one already stopping or halted, or one the platform no longer knows, is stopped. */
  async stopInstance(id: string): Promise<void> {
    try {
      await this.write('put', `instances/${encodeURIComponent(id)}/stop`);
    } catch (err) {
      if (!(err instanceof CloudBrokerError)) throw err;
      if (err.fault === 'not found') return;
      if (!['wrong status', 'unavailable', 'protocol'].includes(err.fault)) throw err;
      const instance = await this.getInstance(id);
      if (!GONE_INSTANCE_STATES.includes(instance.status)) throw err;
    }
  }

  /** What the instance has cost so far. */
  async instanceCost(id: string): Promise<InstanceCost> {
    const document = await this.read(`instances/${encodeURIComponent(id)}/costs.xml`);
    const costs = (document.costs ?? document.cost ?? {}) as Record<string, unknown>;
    const total = Number(costs.total ?? costs.amount);
    if (!Number.isFinite(total))
      throw new CloudBrokerError('protocol', `instances/${id}/costs.xml has no total`);
    const currency = typeof costs.currency === 'string' ? costs.currency : undefined;
    return { total, currency };
  }

  /** Make a record once: look it up before asking again after an answer that went astray. */
  private async createOnce<T>(
    find: () => Promise<T | undefined>,
    make: () => Promise<T>,
  ): Promise<T> {
    const existing = await find();
    if (existing) return existing;
    for (let attempt = 1; ; attempt++) {
      try {
        return await make();
      } catch (err) {
        if (!(err instanceof CloudBrokerError) || err.fault !== 'unavailable') throw err;
        // Give a slow create time to land before asking whether it did.
        await this.options.sleep(this.backoff(attempt));
        const made = await find();
        if (made) return made;
        if (attempt >= this.options.readAttempts) throw err;
      }
    }
  }

  /** Submit the job; one already past `created` counts as submitted. */
  async submitJob(id: string): Promise<void> {
    await this.transition(id, 'submit', (status) => status !== 'created');
  }

  /** Stop the job; one already stopping or ended, or one the platform no longer knows, is stopped. */
  async stopJob(id: string): Promise<void> {
    try {
      await this.transition(id, 'stop', (status) =>
        ['stopping', 'finishing', ...ENDED_JOB_STATES].includes(status),
      );
    } catch (err) {
      if (!(err instanceof CloudBrokerError && err.fault === 'not found')) throw err;
    }
  }

  /** Delete the job; one already gone is fine. */
  async deleteJob(id: string): Promise<void> {
    try {
      await this.write('delete', `jobs/${encodeURIComponent(id)}.xml`);
    } catch (err) {
      if (!(err instanceof CloudBrokerError && err.fault === 'not found')) throw err;
    }
  }

  async jobInstances(jobId: string): Promise<CbInstance[]> {
    return (await this.list('instances', { job_id: jobId })).map(toInstance);
  }

  private async transition(id: string, action: string, alreadyDone: (status: string) => boolean) {
    try {
      await this.write('put', `jobs/${encodeURIComponent(id)}/${action}.xml`);
    } catch (err) {
      if (!(err instanceof CloudBrokerError)) throw err;
      if (!['wrong status', 'unavailable', 'protocol'].includes(err.fault)) throw err;
      // The job may have moved on (or our earlier request did land, its answer lost or
      // cut short): ask it.
      const job = toJob(await this.get('jobs', id));
      if (!alreadyDone(job.status)) throw err;
    }
  }

  private async read(
    path: string,
    params?: Record<string, string>,
  ): Promise<Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.send(() => this.http.get(path, { params }), 'GET', path);
        return parseXml(this.check(response, 'GET', path));
      } catch (err) {
        const retry = err instanceof CloudBrokerError && err.fault === 'unavailable';
        if (!retry || attempt >= this.options.readAttempts) throw err;
        await this.options.sleep(this.backoff(attempt));
      }
    }
  }

  private async write(method: 'post' | 'put' | 'delete', path: string, body?: string) {
    const verb = method.toUpperCase();
    const response = await this.send(
      () => this.http.request({ method, url: path, data: body ?? '' }),
      verb,
      path,
    );
    const text = this.check(response, verb, path);
    return text.trim() ? parseXml(text) : {};
  }

  /** Full jitter over a capped exponential: spreads retries of many clients apart. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(
      this.options.maxBackoffMs,
      this.options.backoffMs * 2 ** (attempt - 1),
    );
    return Math.round(this.options.random() * ceiling);
  }

  /** Send, turning transport failures into faults; the library's error (with auth) is dropped. */
  private async send(request: () => Promise<AxiosResponse<string>>, verb: string, path: string) {
    try {
      return await request();
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'network error';
      if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/.test((err as Error).message)) {
        throw new CloudBrokerError(
          'protocol',
          `${verb} ${path}: answer larger than ${MAX_BODY_BYTES} bytes`,
        );
      }
      const what = code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'timed out' : code;
      throw new CloudBrokerError('unavailable', `${verb} ${path}: ${what}`);
    }
  }

  private check(response: AxiosResponse<string>, verb: string, path: string): string {
    const text = typeof response.data === 'string' ? response.data : '';
    if (response.status >= 200 && response.status < 300) return text;
    const errors = errorsOf(text);
    const messages = errors?.messages ?? [];
    const fault = faultOf(errors?.type, messages, response.status);
    const detail = messages.length > 0 ? messages.join('; ') : `HTTP ${response.status}`;
    throw new CloudBrokerError(fault, `${verb} ${path}: ${detail}`);
  }
}

function toJob(record: CbRecord): Job {
  if (!record.id) throw new CloudBrokerError('protocol', 'a job without an id in the answer');
  return {
    id: record.id,
    name: record.name ?? '',
    status: (record.status ?? 'unknown').toLowerCase(),
  };
}

const NOT_ALLOCATED = /^(|not allocated)$/i;
const allocated = (value: string | undefined) =>
  value === undefined || NOT_ALLOCATED.test(value) ? undefined : value;

function toCloudInstance(record: CbRecord): CloudInstance {
  if (!record.id) throw new CloudBrokerError('protocol', 'an instance without an id in the answer');
  const externalAddress = allocated(record['external-ip-address']);
  const internalAddress = allocated(record['internal-ip-address']);
  return {
    id: record.id,
    name: record.name ?? '',
    status: (record.status ?? 'unknown').toLowerCase(),
    address: externalAddress ?? internalAddress,
    internalAddress,
    externalAddress,
    internalHostname: allocated(record['internal-hostname']),
    externalHostname: allocated(record['external-hostname']),
  };
}

function toInstance(record: CbRecord): CbInstance {
  const external = record['external-ip-address'] ?? '';
  const internal = record['internal-ip-address'] ?? '';
  const address = !NOT_ALLOCATED.test(external)
    ? external
    : !NOT_ALLOCATED.test(internal)
      ? internal
      : undefined;
  return {
    id: record.id ?? '',
    jobId: record['job-id'] ?? '',
    status: (record.status ?? 'unknown').toLowerCase(),
    address,
  };
}
