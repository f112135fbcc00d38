/**
 * CloudDriver over CloudBroker's instance API: a machine is a VM of the cloud's
 * deployment, contextualised with cloud-init user-data that boots the node package
 * (see node-user-data.ts). As with jobs, the VM is named after the instance id and
 * looked up by that name before it is asked for, so a start retried after a crash or
 * a lost answer finds its VM instead of paying for another; the same faults are
 * retried, within the same deadlines.
 */
import { MicadoError } from '../errors.js';
import { bootParameters, type Instance, type InstanceRequest, type InstanceState } from '../cloud/cloud-driver.js'; // prettier-ignore
import {
  GONE_INSTANCE_STATES,
  PENDING_INSTANCE_STATES,
  type CloudBrokerClient,
} from './cloudbroker-client.js';
import { CloudBrokerError } from './cloudbroker-error.js';
import {
  CloudBrokerMachines,
  type BootContext,
  type MachineRecord,
} from './cloudbroker-machines.js';
import type { MicadoConfig } from '../config/config.js';
import type { CloudDefinition } from './cloud-setup.js';
import { nodeUserData } from './node-user-data.js';
import { listedOrNone, pollUntil, waitForStatus } from './machine-steps.js';
import { retryTransient } from './transient-retry.js';

interface VmRecord extends MachineRecord {
  /** The VM's name on the platform: how a retried start finds it. */
  vmName: string;
  /** The platform's id for it, once known. */
  cloudId: string | undefined;
}

export const vmNameOf = (instanceId: string) => `micado-${instanceId}`;

export class CloudBrokerInstanceDriver extends CloudBrokerMachines<VmRecord> {
  constructor(
    config: MicadoConfig,
    definition: CloudDefinition,
    private readonly client: CloudBrokerClient,
  ) {
    super(config, definition);
  }

  protected recordOf(request: InstanceRequest) {
    return { vmName: vmNameOf(request.id), cloudId: undefined };
  }

  protected async boot(record: VmRecord, context: BootContext): Promise<string> {
    const { request, bootstrap, instanceType, deadline, step, onPhase } = context;
    const { definition } = this;
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
        userData: nodeUserData(
          { ...bootParameters(request, boot), tag: request.tag ?? '' },
          boot.catalogToken,
        ),
      }),
    );
    record.cloudId = vm.id;
    this.records.write(record);
    return this.waitForAddress(vm.id, deadline, onPhase);
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

  async list(): Promise<Instance[]> {
    const records = this.records.all();
    if (records.length === 0) return [];
    // A platform that does not answer leaves the machines known, their state unknown:
    // `down` must still find them to say which are left running.
    const listed = await listedOrNone(this.client.list('instances'));
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
    return pollUntil(this.config, {
      deadline,
      onPhase,
      look: async () => {
        const vm = await this.client.getInstance(id);
        if (GONE_INSTANCE_STATES.includes(vm.status))
          throw new MicadoError('cloud', `CloudBroker instance ${id} went ${vm.status} before it was up`); // prettier-ignore
        return {
          phase: `instance ${vm.status}${vm.address ? ` at ${vm.address}` : ''}`,
          found: vm.status === 'running' ? vm.address : undefined,
        };
      },
      timeout: (phase) =>
        `CloudBroker instance ${id} is not running with an address after ${Math.round(this.config.cloudbroker.provisionTimeoutMs / 1000)} s (${phase})`,
    });
  }

  /** Wait until the VM is halted, or the platform no longer knows it. */
  private async waitForHalt(id: string, faultDeadline: number): Promise<void> {
    const status = async () => (await this.client.getInstance(id)).status;
    await waitForStatus(this.config, `CloudBroker instance ${id}`, status, ['halted'], faultDeadline); // prettier-ignore
  }

  private view(
    record: VmRecord,
    seen: { status: string | undefined; cloudId?: string; cost?: Instance['cost'] },
  ): Instance {
    return {
      ...this.machine(record, stateOf(seen.status)),
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
