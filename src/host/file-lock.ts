/**
 * Locks between micado's processes on one host: a file holding the holder's pid,
 * made whole and linked into place (a link fails when the file exists). A lock whose
 * holder is gone is taken over, so a crash never leaves one.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The lock's release, or the pid of the live process that holds it. */
export function tryLock(file: string): (() => void) | number {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    // Written whole under a name of its own, then linked into place: no process ever
    // reads the lock empty (and takes an empty one for a dead holder's).
    const scratch = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(scratch, String(process.pid), { mode: 0o600 });
    try {
      linkSync(scratch, file);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(scratch, { force: true });
    }
    const held = readHolder(file);
    if (held === undefined) continue; // let go meanwhile
    if (held > 0 && held !== process.pid && pidAlive(held)) return held;
    // A dead holder's: removed only if it is still that one's.
    if (readHolder(file) === held) rmSync(file, { force: true });
  }
  return 0;
}

function readHolder(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Run `critical` holding the lock, waiting up to `waitMs` for it. */
export async function withLock<T>(
  file: string,
  waitMs: number,
  critical: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const release = tryLock(file);
    if (typeof release === 'function') {
      try {
        return await critical();
      } finally {
        release();
      }
    }
    if (Date.now() > deadline)
      throw new Error(`${file} stayed locked (pid ${release || 'unknown'}) for ${waitMs} ms`);
    await sleep(5);
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
