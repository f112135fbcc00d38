/**
 * The swarm's worker join token, handed to starting nodes and rotated once no start is
 * on its way: a token that leaked (read from a node's boot, kept in a cloud's records)
 * joins nothing once the joins it was given for are done.
 *
 * Starts run in more than one process (the manager daemon, a `micado start`), so each
 * marks itself in `dir` (a file per instance, holding its pid) under a lock, and takes
 * the token while holding it; the last start to finish rotates under the same lock. A
 * rotation therefore never kills the token of a start that has taken it and not joined,
 * and the mark of a process that died is not waited for.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive, withLock } from '../host/file-lock.js';
import type { OrchestratorSwarm } from '../swarm/index.js';

const LOCK_WAIT_MS = 30_000;
const LOCK = '.lock';

export class JoinTokens {
  constructor(
    private readonly manager: Pick<OrchestratorSwarm, 'joinTokens' | 'rotateWorkerToken'>,
    private readonly dir: string,
  ) {}

  /** The worker token, for the start of `instance`, which is marked as on its way. */
  async take(instance: string): Promise<string> {
    return this.locked(async () => {
      writeFileSync(join(this.dir, instance), String(process.pid), { mode: 0o600 });
      return (await this.manager.joinTokens()).worker;
    });
  }

  /**
   * The start of `instance` is over (joined, or failed): its mark goes, and when no other
   * start is on its way the worker token is rotated. Resolves true when it was.
   */
  async done(instance: string): Promise<boolean> {
    return this.locked(async () => {
      rmSync(join(this.dir, instance), { force: true });
      if (this.onTheirWay().length > 0) return false;
      await this.manager.rotateWorkerToken();
      return true;
    });
  }

  /** Instances whose start has taken the token and not finished, in a live process. */
  private onTheirWay(): string[] {
    return readdirSync(this.dir).filter((name) => {
      if (name === LOCK) return false;
      const pid = Number(readFileSync(join(this.dir, name), 'utf8'));
      if (pid > 0 && pidAlive(pid)) return true;
      rmSync(join(this.dir, name), { force: true });
      return false;
    });
  }

  private locked<T>(critical: () => Promise<T>): Promise<T> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    return withLock(join(this.dir, LOCK), LOCK_WAIT_MS, critical);
  }
}
