/**
 * The emulator's machines: each instance is a local node (network namespace with its
 * own dockerd), booted with the parameters of its job, as the node application's
 * executable boots a real VM: --manager, --token, --registry, --instance, --pool, --tag.
 */
import type { MicadoConfig } from '../../config/config.js';
import { EMULATOR_RECORDS, LocalCloudDriver } from '../../cloud/local/local-cloud-driver.js';
import type { EmulatedJob, NodeBackend } from './cloudbroker-emulator.js';

/** `--name value` pairs of a job's arguments. */
export function nodeArguments(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const words = text.split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const flag = /^--([a-z]+)$/.exec(words[i]!);
    if (!flag) continue;
    const value = words[i + 1];
    out[flag[1]!] = value === undefined || value.startsWith('--') ? '' : value;
    if (out[flag[1]!]) i++;
  }
  return out;
}

export class LocalNodeBackend implements NodeBackend {
  private readonly driver: LocalCloudDriver;
  /** Emulator instance id -> the micado instance id its node announces. */
  private readonly nodes = new Map<string, string>();

  constructor(config: MicadoConfig) {
    this.driver = new LocalCloudDriver(config, EMULATOR_RECORDS);
  }

  async start(instanceId: string, job: EmulatedJob, flavour: string): Promise<string> {
    const args = nodeArguments(job.arguments);
    for (const needed of ['manager', 'token', 'registry', 'instance']) {
      if (!args[needed]) throw new Error(`the job's arguments lack --${needed}`);
    }
    this.nodes.set(instanceId, args.instance!);
    const instance = await this.driver.start(
      { id: args.instance!, pool: args.pool || 'application', flavour },
      { managerAddress: args.manager!, joinToken: args.token!, registry: args.registry! },
    );
    return instance.address!;
  }

  async stop(instanceId: string): Promise<void> {
    const id = this.nodes.get(instanceId);
    if (id) await this.driver.stop(id);
    this.nodes.delete(instanceId);
  }
}
