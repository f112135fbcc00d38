/**
 * What a CloudBroker driver is, whichever API starts its machines (jobs or instances):
 * a record per machine written before the platform is asked, a start that gives back
 * whatever it made when it fails, and a machine's view as micado shows it.
 */
import { join } from 'node:path';
import type { MicadoConfig } from '../config/config.js';
import { usageError } from '../errors.js';
import {
  isValidInstanceId,
  type CloudDriver,
  type Instance,
  type InstanceRequest,
  type InstanceState,
  type NodeBootstrap,
} from '../cloud/cloud-driver.js';
import type { CloudDefinition } from './cloud-setup.js';
import { instanceTypeOf, stepsUntil } from './machine-steps.js';
import { MachineRecords } from './machine-records.js';

/** What every record of a CloudBroker machine holds. */
export interface MachineRecord {
  id: string;
  cloud: string;
  pool: string;
  flavour: string;
  tag: string | undefined;
  address: string | undefined;
  createdAt: string;
}

/** What a boot is given: the request, the instance type, and steps within its deadline. */
export interface BootContext {
  request: InstanceRequest;
  bootstrap: NodeBootstrap | Promise<NodeBootstrap>;
  instanceType: string;
  deadline: number;
  step: ReturnType<typeof stepsUntil>;
  onPhase?: (phase: string) => void;
}

export abstract class CloudBrokerMachines<R extends MachineRecord> implements CloudDriver {
  readonly name = 'cloudbroker';
  protected readonly records: MachineRecords<R>;

  constructor(
    protected readonly config: MicadoConfig,
    protected readonly definition: CloudDefinition,
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
    const instanceType = instanceTypeOf(this.definition, request.flavour);
    this.checkStart();
    if (!isValidInstanceId(request.id)) throw usageError(`invalid instance id '${request.id}'`);
    const record: R =
      this.records.read(request.id) ??
      ({
        ...this.recordOf(request),
        id: request.id,
        cloud: this.definition.name,
        pool: request.pool,
        flavour: request.flavour,
        tag: request.tag,
        address: undefined,
        createdAt: new Date().toISOString(),
      } as R);
    // Recorded before the machine exists: a crash from here on leaves a name to find it by.
    this.records.write(record);
    const deadline = Date.now() + this.config.cloudbroker.provisionTimeoutMs;
    const step = stepsUntil(deadline, onPhase);
    try {
      record.address = await this.boot(record, { request, bootstrap, instanceType, deadline, step, onPhase }); // prettier-ignore
      this.records.write(record);
      return this.machine(record, 'running');
    } catch (err) {
      // What was started is given back: no VM outlives a failed start.
      await this.stop(request.id).catch(() => undefined);
      throw err;
    }
  }

  abstract stop(id: string): Promise<void>;
  abstract list(): Promise<Instance[]>;
  abstract get(id: string): Promise<Instance | undefined>;

  /** Drop the record of a machine without asking the platform (the user gave up on it). */
  forget(id: string): void {
    this.records.remove(id);
  }

  /** Refuse a start this driver cannot make, before anything is recorded. */
  protected checkStart(): void {}

  /** The API's own fields of a new record (its name on the platform, its ids unknown yet). */
  protected abstract recordOf(request: InstanceRequest): Omit<R, keyof MachineRecord>;

  /** Ask the platform for the machine (recording its ids as they come); resolves with its address. */
  protected abstract boot(record: R, context: BootContext): Promise<string>;

  protected machine(record: R, state: InstanceState): Instance {
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
