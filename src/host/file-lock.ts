/**
 * Locks between micado's processes on one host: a file made with O_EXCL holding the
 * holder's pid. A lock whose holder is gone is taken over, so a crash never leaves one.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The lock's release, or the pid of the live process that holds it. */
export function tryLock(file: string): (() => void) | number {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(file, 'utf8'));
      if (holder > 0 && holder !== process.pid && pidAlive(holder)) return holder;
      rmSync(file, { force: true });
    }
  }
  return 0;
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
