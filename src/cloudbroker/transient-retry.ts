/**
 * Faults have kinds. A transient one (a 5xx, a time-out, a refused connection, an
 * answer cut short, a record still settling into its next status) says nothing about
 * the machine being asked for: the step that met it is repeated, with capped and
 * jittered pauses, until the deadline of the work it belongs to. Only what is left
 * when that deadline passes, or a fault of another kind, fails the work.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CloudBrokerError } from './cloudbroker-error.js';

export interface RetryOptions {
  /** Epoch ms after which the last fault is thrown instead of tried again. */
  deadline: number;
  /** Longest pause between attempts (each pause is jittered below its ceiling). */
  maxPauseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** Hears each fault that is tried again. */
  onRetry?: (err: CloudBrokerError, attempt: number) => void;
}

/** Whether a fault is worth repeating the same step for. */
export function isTransientFault(err: unknown): err is CloudBrokerError {
  return (
    err instanceof CloudBrokerError &&
    (err.fault === 'unavailable' || err.fault === 'protocol' || err.fault === 'wrong status')
  );
}

/** Run `step`, repeating it on transient faults until the deadline. */
export async function retryTransient<T>(step: () => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const random = options.random ?? Math.random;
  const maxPauseMs = options.maxPauseMs ?? 4_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!isTransientFault(err)) throw err;
      const pause = Math.round(random() * Math.min(maxPauseMs, 250 * 2 ** (attempt - 1)));
      if (now() + pause >= options.deadline) throw err;
      options.onRetry?.(err, attempt);
      await sleep(pause);
    }
  }
}
