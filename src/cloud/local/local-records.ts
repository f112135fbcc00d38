/**
 * The local driver's own bookkeeping, as a cloud keeps its own: one JSON record per
 * instance, written before anything is created on the host so that a crash at any
 * step leaves a record to finish from. Addresses are reserved with mkdir, which is
 * atomic across processes (the CLI and the manager may start nodes at once).
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { hostError } from '../../errors.js';
import { addressAt, subnetSize, type Subnet } from '../../host/ipv4.js';
import type { Instance } from '../cloud-driver.js';
import type { LocalHostRecord } from '../../namespace-host/local-host.js';

export interface LocalInstanceRecord extends Instance {
  host: LocalHostRecord;
  /**
   * A machine as a cloud VM is: up while its namespace is, whatever its boot script
   * did (the emulator's VMs and jobs); else up while its node's engine runs.
   */
  vm?: boolean;
}

/** Address index 1 is the host's end of the bridge, 2 the manager; instances start at 3. */
export const FIRST_INSTANCE_INDEX = 3;

export class LocalRecords {
  /** `kind` keeps apart machines that are not micado's own (the emulator's). */
  constructor(
    private readonly stateDir: string,
    private readonly kind = 'instances',
  ) {}

  private get recordsDir() {
    return join(this.stateDir, this.kind);
  }

  private get addressesDir() {
    return join(this.stateDir, 'addresses');
  }

  read(id: string): LocalInstanceRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.recordsDir, `${id}.json`), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw hostError(`instance record ${id} is unreadable`, err);
    }
  }

  /** Written to a temporary file and renamed, so a reader never sees half a record. */
  write(record: LocalInstanceRecord): void {
    mkdirSync(this.recordsDir, { recursive: true, mode: 0o700 });
    const file = join(this.recordsDir, `${record.id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  remove(id: string): void {
    rmSync(join(this.recordsDir, `${id}.json`), { force: true });
  }

  list(): LocalInstanceRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.recordsDir);
    } catch {
      return [];
    }
    return names
      .filter((name) => name.endsWith('.json'))
      .map((name) => this.read(name.slice(0, -'.json'.length)))
      .filter((record): record is LocalInstanceRecord => record !== undefined);
  }

  /** Reserve the lowest free instance address in the subnet. */
  reserveAddress(subnet: Subnet): string {
    mkdirSync(this.addressesDir, { recursive: true, mode: 0o700 });
    for (let index = FIRST_INSTANCE_INDEX; index < subnetSize(subnet) - 1; index++) {
      const address = addressAt(subnet, index);
      try {
        mkdirSync(join(this.addressesDir, address));
        return address;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    throw hostError(
      'no free address left in the cluster subnet: stop a node or use a larger subnet',
    );
  }

  releaseAddress(address: string): void {
    try {
      rmdirSync(join(this.addressesDir, address));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
