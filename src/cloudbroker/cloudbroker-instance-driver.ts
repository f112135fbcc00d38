/**
 * CloudDriver over CloudBroker's instance API: a machine is a VM of the cloud's
 * deployment, contextualised with cloud-init user-data that boots the node package
 * (see node-user-data.ts). As with jobs, the VM is named after the instance id and
 * looked up by that name before it is asked for, so a start retried after a crash or
 * a lost answer finds its VM instead of paying for another; the same faults are
 * retried, within the same deadlines.
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
  GONE_INSTANCE_STATES,
  PENDING_INSTANCE_STATES,
  type CloudBrokerClient,
} from './cloudbroker-client.js';
import { CloudBrokerError } from './cloudbroker-error.js';
import type { CloudDefinition } from './cloud-setup.js';
import { MachineRecords } from './machine-records.js';
import { nodeUserData } from './node-user-data.js';
import { isTransientFault, retryTransient } from './transient-retry.js';

interface VmRecord {
  id: string;
  cloud: string;
  pool: string;
  flavour: string;
  tag: string | undefined;
  /** The VM's name on the platform: how a retried start finds it. */
  vmName: string;
  /** The platform's id for it, once known. */
  cloudId: string | undefined;
  address: string | undefined;
  createdAt: string;
}

export const vmNameOf = (instanceId: string) => `micado-${instanceId}`;

export class CloudBrokerInstanceDriver implements CloudDriver {
  readonly name = 'cloudbroker';
  private readonly records: MachineRecords<VmRecord>;

  constructor(
    private readonly config: MicadoConfig,
    private readonly definition: CloudDefinition,
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
    const { definition } = this;
    const flavour = Object.keys(definition.flavours).find(
      (f) => f.toLowerCase() === request.flavour.toLowerCase(),
    );
    const instanceType = flavour === undefined ? undefined : definition.flavours[flavour];
    if (!instanceType) {
      const known = Object.keys(definition.flavours).join(', ');
      throw usageError(
        `cloud ${definition.name} has no flavour '${request.flavour}': use one of ${known}`,
      );
    }
    if (!isValidInstanceId(request.id)) throw usageError(`invalid instance id '${request.id}'`);
    const record: VmRecord = this.records.read(request.id) ?? {
      id: request.id,
      cloud: definition.name,
      pool: request.pool,
      flavour: request.flavour,
      tag: request.tag,
      vmName: vmNameOf(request.id),
      cloudId: undefined,
      address: undefined,
      createdAt: new Date().toISOString(),
    };
    // Recorded before the VM exists: a crash from here on leaves a name to find it by.
    this.records.write(record);
    const deadline = Date.now() + this.config.cloudbroker.provisionTimeoutMs;
    const step = <T>(what: string, fn: () => Promise<T>) =>
      retryTransient(fn, {
        deadline,
        onRetry: (err) => onPhase?.(`${what}: ${err.message}; trying again`),
      });
    try {
      onPhase?.(`starting a CloudBroker instance on ${definition.name}`);
      const [deploymentId, keyPairId] = await step('catalog', () =>
        Promise.all([
          this.idOf('deployments', definition.deployment!),
          definition.keyPair ? this.idOf('key_pairs', definition.keyPair) : undefined,
        ]),
      );
      const boot = await bootstrap;
      // Safe to repeat: a create looks the VM up by its unique name first.
      const vm = await step('create', () =>
        this.client.createInstance({
          name: record.vmName,
          deploymentId,
          instanceTypeId: instanceType,
          keyPairId,
          openedPorts: definition.openedPorts,
          userData: nodeUserData({ ...bootParameters(request, boot), tag: request.tag ?? '' }),
        }),
      );
      record.cloudId = vm.id;
      this.records.write(record);
      record.address = await this.waitForAddress(vm.id, deadline, onPhase);
      this.records.write(record);
      return this.view(record, { status: 'running' });
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
    // Every VM of the instance's name goes: one made twice by a late create included.
    const named = await step(() => this.client.instancesNamed(record.vmName));
    const vms = new Set(named.filter((v) => v.status !== 'halted').map((v) => v.id));
    if (record.cloudId && !named.some((v) => v.id === record.cloudId)) vms.add(record.cloudId);
    for (const vm of vms) {
      await step(() => this.client.stopInstance(vm));
      await this.waitForHalt(vm, deadline);
    }
    this.records.remove(id);
  }

  forget(id: string): void {
    this.records.remove(id);
  }

  async list(): Promise<Instance[]> {
    const records = this.records.all();
    if (records.length === 0) return [];
    // A platform that does not answer leaves the machines known, their state unknown:
    // `down` must still find them to say which are left running.
    const listed = await this.client.list('instances').catch((err: unknown) => {
      if (err instanceof CloudBrokerError) return [];
      throw err;
    });
    // A VM that runs is shown over one of the same name that halted (a late duplicate).
    const halted = (r: { status?: string }) => r.status?.toLowerCase() === 'halted';
    const byName = new Map(
      [...listed.filter(halted), ...listed.filter((r) => !halted(r))].map((r) => [r.name, r]),
    );
    return Promise.all(
      records.map(async (r) => {
        const vm = byName.get(r.vmName);
        const status = vm?.status?.toLowerCase();
        const cost = status === 'halted' ? undefined : await this.costOf(vm?.id);
        return this.view(r, { status, cloudId: vm?.id, cost });
      }),
    );
  }

  async get(id: string): Promise<Instance | undefined> {
    const record = this.records.read(id);
    if (!record) return undefined;
    const vm = record.cloudId
      ? await this.client.getInstance(record.cloudId).catch(() => undefined)
      : undefined;
    return this.view(record, { status: vm?.status, cost: await this.costOf(vm?.id) });
  }

  /** The platform's id of a deployment or key pair given by name or by id. */
  private async idOf(resource: 'deployments' | 'key_pairs', nameOrId: string): Promise<string> {
    try {
      return await this.client.idOf(resource, nameOrId);
    } catch (err) {
      if (!(err instanceof CloudBrokerError && err.fault === 'not found')) throw err;
      const byId = (await this.client.list(resource)).find((r) => r.id === nameOrId);
      if (byId?.id) return byId.id;
      throw err;
    }
  }

  /** What the VM has cost so far, when the platform says; never fails a listing. */
  private async costOf(cloudId: string | undefined): Promise<Instance['cost']> {
    if (!cloudId) return undefined;
    return this.client.instanceCost(cloudId).catch(() => undefined);
  }

  /** The VM's address once it runs; fails fast when it halts. */
  private async waitForAddress(
    id: string,
    deadline: number,
    onPhase?: (phase: string) => void,
  ): Promise<string> {
    let last = '';
    for (;;) {
      let phase: string;
      try {
        const vm = await this.client.getInstance(id);
        phase = `instance ${vm.status}${vm.address ? ` at ${vm.address}` : ''}`;
        if (vm.status === 'running' && vm.address) return vm.address;
        if (GONE_INSTANCE_STATES.includes(vm.status))
          throw new MicadoError('cloud', `CloudBroker instance ${id} went ${vm.status} before it was up`); // prettier-ignore
      } catch (err) {
        if (!isTransientFault(err)) throw err;
        phase = `instance not read: ${err.message}`;
      }
      if (phase !== last) onPhase?.(phase);
      last = phase;
      if (Date.now() > deadline) {
        throw new MicadoError(
          'cloud',
          `CloudBroker instance ${id} is not running with an address after ${Math.round(this.config.cloudbroker.provisionTimeoutMs / 1000)} s (${phase})`,
        );
      }
      await sleep(this.config.cloudbroker.pollIntervalMs);
    }
  }

  /** Wait until the VM is halted, or the platform no longer knows it. */
  private async waitForHalt(id: string, faultDeadline: number): Promise<void> {
    const deadline = Date.now() + this.config.cloudbroker.provisionTimeoutMs;
    for (;;) {
      let status = 'unknown';
      try {
        status = (await this.client.getInstance(id)).status;
        if (status === 'halted') return;
      } catch (err) {
        if (err instanceof CloudBrokerError && err.fault === 'not found') return;
        if (!isTransientFault(err) || Date.now() > faultDeadline) throw err;
      }
      if (Date.now() > deadline)
        throw new MicadoError(
          'cloud',
          `CloudBroker instance ${id} is still ${status} after ${Math.round(this.config.cloudbroker.provisionTimeoutMs / 1000)} s`,
        );
      await sleep(this.config.cloudbroker.pollIntervalMs);
    }
  }

  private view(
    record: VmRecord,
    seen: { status: string | undefined; cloudId?: string; cost?: Instance['cost'] },
  ): Instance {
    return {
      id: record.id,
      driver: this.name,
      cloud: record.cloud,
      pool: record.pool,
      flavour: record.flavour,
      tag: record.tag,
      address: record.address,
      state: stateOf(seen.status),
      createdAt: record.createdAt,
      cloudId: seen.cloudId ?? record.cloudId,
      ...(seen.status ? { cloudState: seen.status } : {}),
      ...(seen.cost ? { cost: seen.cost } : {}),
    };
  }
}

function stateOf(status: string | undefined): InstanceState {
  if (status === undefined) return 'unknown';
  if (PENDING_INSTANCE_STATES.includes(status)) return 'starting';
  if (status === 'running') return 'running';
  if (status === 'stopping') return 'stopping';
  if (status === 'halted') return 'failed';
  return 'unknown';
}
