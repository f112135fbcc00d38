/**
 * Secrets handed out once, by a code that says nothing itself: the code may go where
 * the secret must not (a cloud job's arguments, which the platform keeps), and is dead
 * once the secret is taken or its time is up. One file per code (mode 600) in a
 * directory every micado process on the host shares: the process that starts a node
 * puts, the manager daemon's catalog listener hands out.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CODE = /^[A-Za-z0-9_-]{43}$/;

export class OneTimeSecrets {
  constructor(private readonly dir: string) {}

  /** Keep `secret` for `ttlMs`; resolves with its code (43 URL-safe characters). */
  put(secret: string, ttlMs: number, now = Date.now()): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.sweep(now);
    const code = randomBytes(32).toString('base64url');
    const file = join(this.dir, code);
    writeFileSync(`${file}.new`, JSON.stringify({ secret, until: now + ttlMs }), { mode: 0o600 });
    renameSync(`${file}.new`, file);
    return code;
  }

  /** The secret of `code`, once: undefined for an unknown, taken or expired code. */
  take(code: string, now = Date.now()): string | undefined {
    if (!CODE.test(code)) return undefined;
    const file = join(this.dir, code);
    // Renamed before it is read: of two takers at once, one alone finds it.
    const claimed = `${file}.taken-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(file, claimed);
    } catch {
      return undefined;
    }
    try {
      const { secret, until } = JSON.parse(readFileSync(claimed, 'utf8')) as { secret: string; until: number }; // prettier-ignore
      return until > now ? secret : undefined;
    } finally {
      rmSync(claimed, { force: true });
    }
  }

  /** Remove what is past its time. */
  private sweep(now: number): void {
    for (const name of readdirSync(this.dir)) {
      if (!CODE.test(name)) continue;
      try {
        const { until } = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as { until: number }; // prettier-ignore
        if (until <= now) rmSync(join(this.dir, name), { force: true });
      } catch {
        // taken meanwhile
      }
    }
  }
}
