/**
 * What micado knows of each CloudBroker machine it asked for, one file per instance in
 * STATE_DIR/cloudbroker (mode 600): written before the platform is asked, so a crash
 * leaves a name to find the machine by. A driver reads only its own cloud's records.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class MachineRecords<T extends { id: string; cloud: string }> {
  constructor(
    private readonly dir: string,
    private readonly cloud: string,
  ) {}

  read(id: string): T | undefined {
    try {
      const record = JSON.parse(readFileSync(this.file(id), 'utf8')) as T;
      return record.cloud === this.cloud ? record : undefined;
    } catch {
      return undefined;
    }
  }

  write(record: T): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(`${this.file(record.id)}.tmp`, JSON.stringify(record, null, 2), { mode: 0o600 });
    renameSync(`${this.file(record.id)}.tmp`, this.file(record.id));
  }

  remove(id: string): void {
    rmSync(this.file(id), { force: true });
  }

  all(): T[] {
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    return names.map((n) => this.read(n.slice(0, -5))).filter((r): r is T => r !== undefined);
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}
