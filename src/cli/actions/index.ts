import type { Actions } from './actions.js';

export type { Actions } from './actions.js';

/**
 * The real behaviour of every command. Each action's module (and with it dockerode and
 * the cluster code) is loaded only when its command runs, so help and version, and
 * every command's start, do not pay for the others.
 */
const clusterActions = () => import('./cluster-actions.js');
const instanceActions = () => import('./instance-actions.js');
const containerActions = () => import('./container-actions.js');
const queryActions = () => import('./container-query-actions.js');
const ioActions = () => import('./container-io-actions.js');
const monitorActions = () => import('./monitor-actions.js');
const policyActions = () => import('./policy-actions.js');
const clientActions = () => import('./client-actions.js');

export const ACTIONS: Actions = {
  up: async (ctx, options) => (await clusterActions()).upAction(ctx, options),
  down: async (ctx, options) => (await clusterActions()).downAction(ctx, options),
  status: async (ctx, options) => (await clusterActions()).statusAction(ctx, options),
  start: async (ctx, options) => (await instanceActions()).startAction(ctx, options),
  stop: async (ctx, options) => (await instanceActions()).stopAction(ctx, options),
  launch: async (ctx, options) => (await containerActions()).launchAction(ctx, options),
  quit: async (ctx, options) => (await containerActions()).quitAction(ctx, options),
  remove: async (ctx, options) => (await containerActions()).removeAction(ctx, options),
  list: async (ctx, options) => (await queryActions()).listAction(ctx, options),
  logs: async (ctx, options) => (await queryActions()).logsAction(ctx, options),
  info: async (ctx, options) => (await queryActions()).infoAction(ctx, options),
  execute: async (ctx, options) => (await ioActions()).executeAction(ctx, options),
  copy: async (ctx, options) => (await ioActions()).copyAction(ctx, options),
  build: async (ctx, options) => (await import('./build-action.js')).buildAction(ctx, options),
  monitor: async (ctx, options) => (await monitorActions()).monitorAction(ctx, options),
  events: async (ctx, options) => (await monitorActions()).eventsAction(ctx, options),
  services: async (ctx, options) =>
    (await import('./services-action.js')).servicesAction(ctx, options),
  clientAdd: async (ctx, options) => (await clientActions()).clientAddAction(ctx, options),
  clientSet: async (ctx, options) => (await clientActions()).clientSetAction(ctx, options),
  clientRemove: async (ctx, options) => (await clientActions()).clientRemoveAction(ctx, options),
  clientList: async (ctx, options) => (await clientActions()).clientListAction(ctx, options),
  scrub: async (ctx, options) => (await clientActions()).scrubAction(ctx, options),
  report: async (ctx, options) => (await import('./report-action.js')).reportAction(ctx, options),
  extend: async (ctx, options) => (await containerActions()).extendAction(ctx, options),
  dashboard: async (ctx, options) =>
    (await import('./dashboard-action.js')).dashboardAction(ctx, options),
  policySet: async (ctx, options) => (await policyActions()).policySetAction(ctx, options),
  policyRemove: async (ctx, options) => (await policyActions()).policyRemoveAction(ctx, options),
  policyList: async (ctx, options) => (await policyActions()).policyListAction(ctx, options),
  manager: async (ctx, options) =>
    (await import('./manager-action.js')).managerAction(ctx, options),
};
