import type { Actions } from './actions.js';

export type { Actions } from './actions.js';

/**
 * The real behaviour of every command. Each action's module (and with it dockerode and
 * the cluster code) is loaded only when its command runs, so help and version, and
 * every command's start, do not pay for the others.
 */
export const ACTIONS: Actions = {
  up: async (ctx, options) => (await import('./cluster-actions.js')).upAction(ctx, options),
  down: async (ctx, options) => (await import('./cluster-actions.js')).downAction(ctx, options),
  status: async (ctx, options) => (await import('./cluster-actions.js')).statusAction(ctx, options),
  start: async (ctx, options) => (await import('./instance-actions.js')).startAction(ctx, options),
  stop: async (ctx, options) => (await import('./instance-actions.js')).stopAction(ctx, options),
};
