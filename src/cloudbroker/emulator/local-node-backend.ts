/**
 * The emulator's machines: each instance is a local node (network namespace with its
 * own dockerd) booted as a CloudBroker VM boots: the job's executable (the node
 * package's execute.sh) is run with the job's arguments exactly as the job holds them.
 */
import type { MicadoConfig } from '../../config/config.js';
import { EMULATOR_RECORDS, LocalCloudDriver } from '../../cloud/local/local-cloud-driver.js';
import { packageFile } from '../../host/package-files.js';
import type { EmulatedJob, NodeBackend } from './cloudbroker-emulator.js';

/** The value of `--name` in a job's arguments, if it has one. */
export function argumentOf(words: string[], name: string): string | undefined {
  const at = words.indexOf(`--${name}`);
  const value = at < 0 ? undefined : words[at + 1];
  return value === undefined || value.startsWith('--') ? undefined : value;
}

export class LocalNodeBackend implements NodeBackend {
  private readonly driver: LocalCloudDriver;
  /** Emulator instance id -> the local machine behind it. */
  private readonly machines = new Map<string, string>();

  /** `scriptOf` says which boot script a job's executable is (the node package's by default). */
  constructor(
    config: MicadoConfig,
    private readonly scriptOf: (job: EmulatedJob) => string = () =>
      packageFile('node', 'execute.sh'),
  ) {
    this.driver = new LocalCloudDriver(config, EMULATOR_RECORDS);
  }

  async start(instanceId: string, job: EmulatedJob, flavour: string): Promise<string> {
    const words = job.arguments.split(/\s+/).filter(Boolean);
    // The machine is named after the emulator's instance: a VM knows nothing of micado.
    const machine = `vm-${instanceId.replace(/[^0-9a-f]/g, '').slice(0, 12)}`;
    this.machines.set(instanceId, machine);
    const instance = await this.driver.startMachine(
      { id: machine, pool: argumentOf(words, 'pool') ?? 'application', flavour },
      () => words,
      this.scriptOf(job),
    );
    return instance.address!;
  }

  async stop(instanceId: string): Promise<void> {
    const machine = this.machines.get(instanceId);
    if (machine) await this.driver.stop(machine);
    this.machines.delete(instanceId);
  }
}
