/**
 * Read-modify-write on a Swarm object's version. Swarm accepts an update only against
 * the version it was read at; another writer in between (the manager's provisioner and
 * its scheduler nudge, a user's `micado policy`, the engine itself) makes it answer
 * "update out of sequence". That is a lost race, not a failure: read again, apply the
 * same change to what is there now, and write again.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Versioned<S> {
  version: number;
  spec: S;
}

export interface VersionedUpdateOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  /** Longest pause between attempts; each pause is jittered below it. */
  maxPauseMs?: number;
}

const OUT_OF_SEQUENCE = /update out of sequence/i;

/** Whether an engine error says the object changed since it was read. */
export function isOutOfSequence(err: unknown): boolean {
  for (let current = err; current; current = (current as { cause?: unknown }).cause) {
    const json = (current as { json?: { message?: string } }).json;
    const message = json?.message ?? (current instanceof Error ? current.message : '');
    if (OUT_OF_SEQUENCE.test(message)) return true;
    if (!(current instanceof Error)) break;
  }
  return false;
}

/**
 * Read the object, apply `change` to a copy of its spec, write it at the version read;
 * on a lost race, start over. Any other error, or the last lost race, is thrown.
 */
export async function versionedUpdate<S>(
  read: () => Promise<Versioned<S>>,
  change: (spec: S) => S,
  write: (version: number, spec: S) => Promise<void>,
  options: VersionedUpdateOptions = {},
): Promise<void> {
  const attempts = options.attempts ?? 8;
  const maxPauseMs = options.maxPauseMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    const current = await read();
    try {
      await write(current.version, change(structuredClone(current.spec)));
      return;
    } catch (err) {
      if (!isOutOfSequence(err) || attempt >= attempts) throw err;
      // Writers that collided once would collide again in lockstep: spread them apart.
      await sleep(Math.random() * Math.min(maxPauseMs, 10 * 2 ** attempt));
    }
  }
}
