/**
 * What the autoscaler remembers of each pool between cycles: failures and backoff,
 * and when it last grew or shrank (for cooldowns). Pure updates, time passed in.
 */
export interface PoolState {
  /** Failed starts in a row; a node that joins resets it. */
  failures: number;
  backoffUntil: number;
  lastScaleUp: number;
  lastScaleDown: number;
}

export const FRESH_POOL: PoolState = {
  failures: 0,
  backoffUntil: 0,
  lastScaleUp: -Infinity,
  lastScaleDown: -Infinity,
};

export interface BackoffSettings {
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/** After a failed start: back off initial·2^(failures−1), capped. */
export function afterFailure(state: PoolState, now: number, settings: BackoffSettings): PoolState {
  const failures = state.failures + 1;
  const delay = Math.min(settings.backoffMaxMs, settings.backoffInitialMs * 2 ** (failures - 1));
  return { ...state, failures, backoffUntil: now + delay };
}

export function afterSuccess(state: PoolState): PoolState {
  return { ...state, failures: 0, backoffUntil: 0 };
}

export function isBackedOff(state: PoolState, now: number): boolean {
  return now < state.backoffUntil;
}
