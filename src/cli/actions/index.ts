import type { Actions } from './actions.js';
import { downAction, statusAction, upAction } from './cluster-actions.js';
import { startAction, stopAction } from './instance-actions.js';

export type { Actions } from './actions.js';

/** The real behaviour of every command. */
export const ACTIONS: Actions = {
  up: upAction,
  down: downAction,
  status: statusAction,
  start: startAction,
  stop: stopAction,
};
