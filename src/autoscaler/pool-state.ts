/**
 * What the autoscaler remembers of each pool between cycles: failures and backoff,
 * and when it last grew or shrank (for cooldowns). Pure updates, time passed in.
 *
 * Backoff is for persistent failure only (a job that failed, a machine never
 * addressed, a node never Ready): transient faults are retried inside the start that
 * met them and never reach here. It grows once per failure window, not once per
 * start: the starts asked for before a failure was seen were all asked on the same
 * hope, so their failures together say one thing. A start asked for after the window
 * opened that fails too doubles the backoff.
 */
export interface PoolState {
  /** Failure windows in a row; a node that joins resets it. */
  failures: number;
  backoffUntil: number;
  /** When the current failure window opened (its first failure). */
  failedAt: number;
  lastScaleUp: number;
  lastScaleDown: number;
}

export const FRESH_POOL: PoolState = {
  failures: 0,
  backoffUntil: 0,
  failedAt: -Infinity,
  lastScaleUp: -Infinity,
  lastScaleDown: -Infinity,
};

export interface BackoffSettings {
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/**
 * After a failed start asked for at `requestedAt`: a new failure window backs the pool
 * off initial·2^(windows−1), capped; a failure of a start asked for before the window
 * opened changes nothing.
 */
export function afterFailure(
  state: PoolState,
  now: number,
  requestedAt: number,
  settings: BackoffSettings,
): PoolState {
  if (requestedAt <= state.failedAt) return state;
  const failures = state.failures + 1;
  const delay = Math.min(settings.backoffMaxMs, settings.backoffInitialMs * 2 ** (failures - 1));
  return { ...state, failures, failedAt: now, backoffUntil: now + delay };
}

export function afterSuccess(state: PoolState): PoolState {
  return { ...state, failures: 0, backoffUntil: 0, failedAt: -Infinity };
}

export function isBackedOff(state: PoolState, now: number): boolean {
  return now < state.backoffUntil;
}
