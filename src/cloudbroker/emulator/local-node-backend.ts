/**
 * The emulator's machines: each instance is a local machine (a network namespace with
 * an address on the bridge) that runs what a CloudBroker VM runs: a job's executable
 * with the job's arguments exactly as the job holds them; a VM of the instance API its
 * cloud-init user-data, as cloud-init runs a user script, with the node and proxy
 * packages where a VM image has them (MICADO_NODE_HOME, MICADO_PROXY_HOME). The
 * machine is up once it has its address, whatever the script then does (boots a
 * micado node, or anything else; succeeds or fails): its output is in the machine's
 * boot.log, as cloud-init's is in the VM's.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MicadoConfig } from '../../config/config.js';
import { EMULATOR_RECORDS, LocalCloudDriver } from '../../cloud/local/local-cloud-driver.js';
import { packageFile } from '../../host/package-files.js';
import { userDataArguments } from '../node-user-data.js';
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

  private readonly userDataDir: string;

  /** `scriptOf` says which boot script a job's executable is (the node package's by default). */
  constructor(
    config: MicadoConfig,
    private readonly scriptOf: (job: EmulatedJob) => string = () =>
      packageFile('node', 'execute.sh'),
  ) {
    this.driver = new LocalCloudDriver(config, EMULATOR_RECORDS);
    this.userDataDir = join(config.stateDir, 'emulator', 'user-data');
  }

  async start(instanceId: string, job: EmulatedJob, flavour: string): Promise<string> {
    const words = job.arguments.split(/\s+/).filter(Boolean);
    const machine = this.machineOf(instanceId);
    const instance = await this.driver.startMachine(
      { id: machine, pool: argumentOf(words, 'pool') ?? 'application', flavour },
      () => words,
      this.scriptOf(job),
      undefined,
      true,
    );
    return instance.address!;
  }

  async boot(instanceId: string, userData: string, flavour: string): Promise<string> {
    const machine = this.machineOf(instanceId);
    // The user-data holds a join token and a key: only root reads it, and it goes with the VM.
    mkdirSync(this.userDataDir, { recursive: true, mode: 0o700 });
    const script = join(this.userDataDir, `${machine}.sh`);
    writeFileSync(script, userData, { mode: 0o700 });
    const words = userDataArguments(userData) ?? [];
    const instance = await this.driver.startMachine(
      { id: machine, pool: argumentOf(words, 'pool') ?? 'application', flavour },
      () => [],
      script,
      {
        MICADO_NODE_HOME: dirname(packageFile('node', 'execute.sh')),
        MICADO_PROXY_HOME: dirname(packageFile('proxy', 'execute.sh')),
      },
      true,
    );
    return instance.address!;
  }

  async stop(instanceId: string): Promise<void> {
    const machine = this.machines.get(instanceId);
    if (machine) await this.driver.stop(machine);
    if (machine) rmSync(join(this.userDataDir, `${machine}.sh`), { force: true });
    this.machines.delete(instanceId);
  }

  /** The machine is named after the emulator's instance: a VM knows nothing of micado. */
  private machineOf(instanceId: string): string {
    const machine = `vm-${instanceId.replace(/[^0-9a-f]/g, '').slice(0, 12)}`;
    this.machines.set(instanceId, machine);
    return machine;
  }
}
