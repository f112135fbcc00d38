/**
 * An emulator of CloudBroker's REST/XML API, for tests and demos on loopback. Jobs and
 * instances live in memory; a submitted job's instance is a real local node (through
 * `NodeBackend`) that joins the swarm with the parameters in the job's arguments, as
 * the node application's executable does on a real VM. An instance asked of the
 * instance API boots from its cloud-init user-data, run as such a VM runs it. Faults
 * are injected by setting `faults`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { JobSpec } from '../cloudbroker-client.js';
import {
  isResource,
  listElement,
  RECORD_ELEMENT,
  type CbResource,
} from '../cloudbroker-resources.js';

export interface NodeBackend {
  /** Make a job's machine and run its executable on it; resolves with its address once it is up. */
  start(instanceId: string, job: EmulatedJob, flavour: string): Promise<string>;
  /**
   * Make a VM of the instance API and run its cloud-init user-data on it; resolves with
   * its address once it is up (the user-data runs on, its outcome the VM's own business).
   */
  boot(instanceId: string, userData: string, flavour: string): Promise<string>;
  stop(instanceId: string): Promise<void>;
}

export interface Catalog {
  softwares: { id: string; name: string }[];
  executables: { id: string; name: string; softwareId: string }[];
  resources: { id: string; name: string }[];
  regions: { id: string; name: string; resourceId: string }[];
  /** An instance type's name is the local flavour its nodes get. */
  instanceTypes: { id: string; name: string }[];
  /** The instance API's VM images, and the key pairs a VM may be given. */
  deployments: { id: string; name: string }[];
  keyPairs: { id: string; name: string }[];
}

export interface EmulatorFaults {
  /** Only requests whose "METHOD path" matches suffer the counted faults below. */
  match?: RegExp;
  latencyMs: number;
  /** The next N matching requests answer 503. */
  serverErrors: number;
  /** The next N matching requests get no answer at all. */
  timeouts: number;
  /** The next N matching answers are cut-off XML. */
  malformed: number;
  /** The next N matching requests answer `<errors>` of type "wrong status". */
  errorBodies: number;
  /** The next N job creates make the job but answer 502, as if the answer were lost. */
  lostCreates: number;
  /** The next N instance creates are refused with 422, as a cloud out of a flavour refuses. */
  refusedCreates: number;
  /** Instances never get an address. */
  neverAddress: boolean;
  /** Submitted jobs fail instead of starting. */
  failJobs: boolean;
  /** A storm of random faults until a time, on top of the counted ones. */
  storm?: FaultStorm;
}

/**
 * Until `until` (epoch ms), every request waits up to `maxLatencyMs` and meets a fault
 * with probability `faultRate`: a 503, no answer, an answer cut short, a "wrong status"
 * refusal of a read, or, for a job create, the job made and the answer lost.
 */
export interface FaultStorm {
  until: number;
  faultRate: number;
  maxLatencyMs: number;
  /** For repeatable storms in tests. */
  random?: () => number;
}

type StormFault = 'serverError' | 'timeout' | 'malformed' | 'errorBody' | 'lostCreate' | undefined;

/** A job as the emulator keeps it: what was asked for, plus its state. */
export interface EmulatedJob extends Required<JobSpec> {
  id: string;
  status: string;
  createdAt: string;
  /** performance.now() at submit and when the job ran: the emulator's own job start. */
  submittedAt?: number;
  runningAt?: number;
  /** Why its machine did not boot (the emulator's own record, not the platform's API). */
  failure?: string;
}

/** An instance: a job's, or a VM asked of the instance API (with its own fields). */
export interface EmulatedInstance {
  id: string;
  jobId: string;
  status: string;
  address: string | undefined;
  vm?: {
    name: string;
    deploymentId: string;
    instanceTypeId: string;
    keyPairId: string;
    openedPort: string;
    createdAt: string;
    /** performance.now() when it was asked for and when it ran. */
    requestedAt: number;
    runningAt?: number;
  };
}

/** What an instance costs per hour in the emulator, for costs.xml. */
const EUR_PER_HOUR = 0.05;

export const NO_FAULTS: EmulatorFaults = {
  latencyMs: 0,
  serverErrors: 0,
  timeouts: 0,
  malformed: 0,
  errorBodies: 0,
  lostCreates: 0,
  refusedCreates: 0,
  neverAddress: false,
  failJobs: false,
};

const builder = new XMLBuilder({ format: false });
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: false,
});

export class CloudBrokerEmulator {
  faults: EmulatorFaults = { ...NO_FAULTS };
  readonly jobs = new Map<string, EmulatedJob>();
  readonly instances = new Map<string, EmulatedInstance>();
  /** Every request, as "METHOD path", for tests to count. */
  readonly requests: string[] = [];
  /** The name of every job ever made, deleted ones included, for tests to count. */
  readonly made: string[] = [];
  private server: Server | undefined;
  private readonly work = new Set<Promise<unknown>>();

  constructor(
    private readonly account: { email: string; password: string },
    private readonly catalog: Catalog,
    private readonly backend: NodeBackend,
  ) {}

  /**
   * Listen (on loopback unless told); resolves with the base URL. With a certificate
   * and key (PEM), over TLS, as the platform is reached anywhere but on loopback.
   */
  async listen(port = 0, host = '127.0.0.1', tls?: { cert: string; key: string }): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = tls
      ? (createTlsServer(tls, handler) as unknown as Server)
      : createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    const address = this.server.address() as AddressInfo;
    return `${tls ? 'https' : 'http'}://${host}:${address.port}/`;
  }

  /** Stop listening, wait for jobs in flight, and stop every node still running. */
  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    await Promise.allSettled([...this.work]);
    for (const instance of this.instances.values()) {
      if (instance.status !== 'halted') await this.backend.stop(instance.id).catch(() => undefined);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => resolve(text));
    });
    const url = new URL(req.url ?? '/', 'http://emulator');
    const request = `${req.method} ${url.pathname}`;
    this.requests.push(request);
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    const storm = await this.stormFault(request);
    if (!this.authorized(req)) {
      return send(res, 401, errors(['Invalid email or password'], 'authentication'));
    }
    const matches = !this.faults.match || this.faults.match.test(request);
    if (storm === 'timeout' || (matches && this.take('timeouts'))) return; // no answer at all
    if (storm === 'serverError' || (matches && this.take('serverErrors')))
      return send(res, 503, '');
    if (storm === 'errorBody' || (matches && this.take('errorBodies')))
      return send(res, 422, errors(['Record is in the wrong status'], 'wrong status'));
    try {
      const [status, xml] = this.route(req.method ?? 'GET', url, body, storm === 'lostCreate');
      const cut = storm === 'malformed' || (matches && this.take('malformed'));
      send(res, status, cut ? xml.slice(0, Math.max(1, xml.length >> 1)) : xml);
    } catch (err) {
      const [status, xml] =
        err instanceof Refusal ? [err.status, err.xml] : [500, errors([String(err)], undefined)];
      send(res, status, xml);
    }
  }

  /** The storm's fault for this request, if one is raging; waits its latency first. */
  private async stormFault(request: string): Promise<StormFault> {
    const storm = this.faults.storm;
    if (!storm || Date.now() >= storm.until) return undefined;
    const random = storm.random ?? Math.random;
    await new Promise((r) => setTimeout(r, random() * storm.maxLatencyMs));
    if (random() >= storm.faultRate) return undefined;
    const kinds: StormFault[] = ['serverError', 'timeout', 'malformed'];
    if (request.startsWith('GET ')) kinds.push('errorBody');
    if (request === 'POST /jobs.xml' || request === 'POST /instances.xml')
      kinds.push('lostCreate', 'lostCreate');
    return kinds[Math.floor(random() * kinds.length)];
  }

  private take(
    fault:
      'timeouts' | 'serverErrors' | 'malformed' | 'errorBodies' | 'lostCreates' | 'refusedCreates',
  ): boolean {
    if (this.faults[fault] <= 0) return false;
    this.faults[fault]--;
    return true;
  }

  private authorized(req: IncomingMessage): boolean {
    const expected = `Basic ${Buffer.from(`${this.account.email}:${this.account.password}`).toString('base64')}`;
    return req.headers.authorization === expected;
  }

  private route(method: string, url: URL, body: string, loseCreate: boolean): [number, string] {
    const path = url.pathname;
    let m: RegExpMatchArray | null;
    if (method === 'GET' && (m = path.match(/^\/(\w+)\.xml$/)))
      return [200, this.listing(m[1]!, url.searchParams)];
    if (method === 'GET' && (m = path.match(/^\/(\w+)\/([\w-]+)\.xml$/)))
      return [200, this.one(m[1]!, m[2]!)];
    if (method === 'POST' && path === '/jobs.xml') return this.createJob(body, loseCreate);
    if (method === 'POST' && path === '/instances.xml')
      return this.createInstance(body, loseCreate);
    // The widely used client stops with no .xml suffix: both are taken.
    if (method === 'PUT' && (m = path.match(/^\/instances\/([\w-]+)\/stop(\.xml)?$/)))
      return this.stopInstance(m[1]!);
    if (method === 'GET' && (m = path.match(/^\/instances\/([\w-]+)\/costs\.xml$/)))
      return this.costs(m[1]!);
    if (method === 'PUT' && (m = path.match(/^\/jobs\/([\w-]+)\/(submit|stop)\.xml$/))) {
      return m[2] === 'submit' ? this.submit(m[1]!) : this.stop(m[1]!);
    }
    if (method === 'DELETE' && (m = path.match(/^\/jobs\/([\w-]+)\.xml$/)))
      return this.remove(m[1]!);
    throw new Refusal(404, errors(['404: record not found'], undefined));
  }

  private records(resource: string): Record<string, string>[] {
    const c = this.catalog;
    switch (resource) {
      case 'softwares':
        return c.softwares.map((s) => ({ id: s.id, name: s.name }));
      case 'executables':
        return c.executables.map((e) => ({ id: e.id, name: e.name, 'software-id': e.softwareId }));
      case 'resources':
        return c.resources.map((r) => ({ id: r.id, name: r.name }));
      case 'regions':
        return c.regions.map((r) => ({ id: r.id, name: r.name, 'resource-id': r.resourceId }));
      case 'instance_types':
        return c.instanceTypes.map((t) => ({ id: t.id, name: t.name }));
      case 'jobs':
        return [...this.jobs.values()].map(jobXml);
      case 'instances':
        return [...this.instances.values()].map(instanceXml);
      case 'deployments':
        return c.deployments.map((d) => ({ id: d.id, name: d.name }));
      case 'key_pairs':
        return c.keyPairs.map((k) => ({ id: k.id, name: k.name }));
      case 'data_files':
      case 'data_types':
        return [];
      default:
        throw new Refusal(404, errors(['404: record not found'], undefined));
    }
  }

  private listing(resource: string, query: URLSearchParams): string {
    let records = this.records(resource);
    const jobId = query.get('job_id');
    if (jobId) records = records.filter((r) => r['job-id'] === jobId);
    const perPage = Math.max(1, Number(query.get('per_page') ?? 25));
    const page = Math.max(1, Number(query.get('page') ?? 1));
    const slice = records.slice((page - 1) * perPage, page * perPage);
    if (!isResource(resource)) throw new Refusal(404, errors(['404: record not found'], undefined));
    const plural = listElement(resource);
    const singular = RECORD_ELEMENT[resource];
    return `<?xml version="1.0" encoding="UTF-8"?><${plural} type="array">${slice.map((r) => builder.build({ [singular]: r })).join('')}</${plural}>`;
  }

  private one(resource: string, id: string): string {
    const record = this.records(resource).find((r) => r.id === id);
    if (!record) throw new Refusal(404, errors(['404: record not found'], undefined));
    return builder.build({ [RECORD_ELEMENT[resource as CbResource]]: record });
  }

  private createJob(body: string, loseAnswer: boolean): [number, string] {
    const fields = (parser.parse(body) as { job?: Record<string, string> }).job;
    if (!fields) throw new Refusal(422, errors(['a <job> element is required'], undefined));
    // Dashed and underscored field names are both accepted, as by the real API.
    const get = (name: string) => String(fields[name] ?? fields[name.replace(/-/g, '_')] ?? '');
    const missing = [
      'name',
      'software-id',
      'executable-id',
      'resource-id',
      'region-id',
      'instance-type-id',
    ].filter((f) => !get(f));
    if (missing.length > 0)
      throw new Refusal(
        422,
        errors(
          missing.map((f) => `${f} can't be blank`),
          undefined,
        ),
      );
    if (!this.catalog.instanceTypes.some((t) => t.id === get('instance-type-id'))) {
      throw new Refusal(422, errors(['instance-type-id is not valid'], undefined));
    }
    const job: EmulatedJob = {
      id: randomUUID(),
      name: get('name'),
      status: 'created',
      softwareId: get('software-id'),
      executableId: get('executable-id'),
      resourceId: get('resource-id'),
      regionId: get('region-id'),
      instanceTypeId: get('instance-type-id'),
      permanentlyRunning: get('permanently-running') === 'true',
      arguments: get('arguments'),
      createdAt: new Date().toISOString(),
    };
    this.jobs.set(job.id, job);
    this.made.push(job.name);
    if (loseAnswer || this.take('lostCreates')) return [502, ''];
    return [201, builder.build({ job: jobXml(job) })];
  }

  private createInstance(body: string, loseAnswer: boolean): [number, string] {
    const fields = (parser.parse(body) as { instance?: Record<string, string> }).instance;
    if (!fields) throw new Refusal(422, errors(['an <instance> element is required'], undefined));
    if (this.take('refusedCreates'))
      throw new Refusal(422, errors(['the instance type is not available in this region'], undefined)); // prettier-ignore
    // Both spellings occur in what clients send (deployment-id, deployment_id).
    const get = (name: string) => String(fields[name] ?? fields[name.replace(/-/g, '_')] ?? '');
    const missing = ['deployment-id', 'instance-type-id'].filter((f) => !get(f));
    if (missing.length > 0)
      throw new Refusal(
        422,
        errors(
          missing.map((f) => `${f} can't be blank`),
          undefined,
        ),
      );
    if (!this.catalog.deployments.some((d) => d.id === get('deployment-id')))
      throw new Refusal(422, errors(['deployment-id is not valid'], undefined));
    const type = this.catalog.instanceTypes.find((t) => t.id === get('instance-type-id'));
    if (!type) throw new Refusal(422, errors(['instance-type-id is not valid'], undefined));
    const keyPair = get('key-pair-id');
    if (keyPair && !this.catalog.keyPairs.some((k) => k.id === keyPair))
      throw new Refusal(422, errors(['key-pair-id is not valid'], undefined));
    const encoded = get('cloud-init');
    const userData =
      get('cloud-init-b64') === 'true' ? Buffer.from(encoded, 'base64').toString('utf8') : encoded;
    const instance: EmulatedInstance = {
      id: randomUUID(),
      jobId: '',
      status: 'starting',
      address: undefined,
      vm: {
        name: get('name'),
        deploymentId: get('deployment-id'),
        instanceTypeId: type.id,
        keyPairId: keyPair,
        openedPort: get('opened-port'),
        createdAt: new Date().toISOString(),
        requestedAt: performance.now(),
      },
    };
    this.instances.set(instance.id, instance);
    this.made.push(instance.vm!.name);
    this.track(this.bootVm(instance, userData, type.name));
    if (loseAnswer || this.take('lostCreates')) return [502, ''];
    return [201, builder.build({ instance: instanceXml(instance) })];
  }

  /** The VM's life: starting, initializing (its user-data running), running; or halted. */
  private async bootVm(instance: EmulatedInstance, userData: string, flavour: string) {
    await new Promise((r) => setTimeout(r, 20));
    if (instance.status !== 'starting') return; // stopped meanwhile
    if (this.faults.failJobs) {
      instance.status = 'halted';
      return;
    }
    instance.status = 'initializing';
    if (this.faults.neverAddress) return;
    try {
      const address = await this.backend.boot(instance.id, userData, flavour);
      if (instance.status !== 'initializing') return; // stopped meanwhile
      instance.address = address;
      instance.status = 'running';
      instance.vm!.runningAt = performance.now();
    } catch {
      // No machine could be made for it: the platform halts it.
      instance.status = 'halted';
    }
  }

  private vm(id: string): EmulatedInstance {
    const instance = this.instances.get(id);
    if (!instance?.vm) throw new Refusal(404, errors(['404: record not found'], undefined));
    return instance;
  }

  private stopInstance(id: string): [number, string] {
    const instance = this.vm(id);
    if (['stopping', 'halted'].includes(instance.status))
      throw new Refusal(422, errors([`Instance is ${instance.status}`], 'wrong status'));
    instance.status = 'stopping';
    this.track(
      (async () => {
        await this.backend.stop(instance.id).catch(() => undefined);
        instance.status = 'halted';
      })(),
    );
    return [200, builder.build({ instance: instanceXml(instance) })];
  }

  private costs(id: string): [number, string] {
    const instance = this.vm(id);
    const hours = (performance.now() - instance.vm!.requestedAt) / 3_600_000;
    const total = (Math.ceil(hours * 100) / 100) * EUR_PER_HOUR;
    return [200, builder.build({ costs: { total: total.toFixed(4), currency: 'EUR' } })];
  }

  private job(id: string): EmulatedJob {
    const job = this.jobs.get(id);
    if (!job) throw new Refusal(404, errors(['404: record not found'], undefined));
    return job;
  }

  private submit(id: string): [number, string] {
    const job = this.job(id);
    if (job.status !== 'created')
      throw new Refusal(422, errors([`Job is ${job.status}`], 'wrong status'));
    job.status = 'submitted';
    job.submittedAt = performance.now();
    this.track(this.run(job));
    return [200, builder.build({ job: jobXml(job) })];
  }

  private async run(job: EmulatedJob): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    if (this.faults.failJobs) {
      job.status = 'failed';
      return;
    }
    job.status = 'starting';
    const instance: EmulatedInstance = {
      id: randomUUID(),
      jobId: job.id,
      status: 'starting',
      address: undefined,
    };
    this.instances.set(instance.id, instance);
    if (this.faults.neverAddress) return;
    const flavour = this.catalog.instanceTypes.find((t) => t.id === job.instanceTypeId)!.name;
    try {
      instance.address = await this.backend.start(instance.id, job, flavour);
      if (job.status !== 'starting') return; // stopped meanwhile
      instance.status = 'running';
      job.status = 'running';
      job.runningAt = performance.now();
    } catch (err) {
      instance.status = 'halted';
      job.status = 'failed';
      job.failure = (err as Error).message;
    }
  }

  private stop(id: string): [number, string] {
    const job = this.job(id);
    if (['stopping', 'finishing', 'completed', 'failed'].includes(job.status)) {
      throw new Refusal(422, errors([`Job is ${job.status}`], 'wrong status'));
    }
    job.status = 'stopping';
    this.track(
      (async () => {
        for (const instance of this.instances.values()) {
          if (instance.jobId !== id || instance.status === 'halted') continue;
          instance.status = 'stopping';
          await this.backend.stop(instance.id).catch(() => undefined);
          instance.status = 'halted';
        }
        job.status = 'completed';
      })(),
    );
    return [200, builder.build({ job: jobXml(job) })];
  }

  private remove(id: string): [number, string] {
    const job = this.job(id);
    if (!['created', 'completed', 'failed'].includes(job.status)) {
      throw new Refusal(422, errors([`Job is ${job.status}: stop it first`], 'wrong status'));
    }
    this.jobs.delete(id);
    for (const [key, instance] of this.instances)
      if (instance.jobId === id) this.instances.delete(key);
    return [200, ''];
  }

  private track(work: Promise<unknown>): void {
    this.work.add(work);
    void work.finally(() => this.work.delete(work));
  }
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly xml: string,
  ) {
    super(xml);
  }
}

function instanceXml(i: EmulatedInstance): Record<string, string> {
  const address = i.address ?? 'not allocated';
  const hostname = i.address ? `vm-${i.id.slice(0, 8)}` : 'not allocated';
  return {
    id: i.id,
    ...(i.vm ? { name: i.vm.name } : { 'job-id': i.jobId }),
    status: i.status,
    'external-ip-address': address,
    'internal-ip-address': i.vm ? address : 'not allocated',
    ...(i.vm
      ? {
          'internal-hostname': hostname,
          'external-hostname': hostname,
          'deployment-id': i.vm.deploymentId,
          'instance-type-id': i.vm.instanceTypeId,
          'created-at': i.vm.createdAt,
        }
      : {}),
  };
}

function jobXml(job: EmulatedJob): Record<string, string> {
  return {
    id: job.id,
    name: job.name,
    status: job.status,
    'software-id': job.softwareId,
    'executable-id': job.executableId,
    'resource-id': job.resourceId,
    'region-id': job.regionId,
    'instance-type-id': job.instanceTypeId,
    'permanently-running': String(job.permanentlyRunning),
    'created-at': job.createdAt,
  };
}

function errors(messages: string[], type: string | undefined): string {
  const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<errors>${messages.map((m) => `<error>${escape(m)}</error>`).join('')}${type ? `<type>${type}</type>` : ''}</errors>`;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/xml' }).end(body);
}
