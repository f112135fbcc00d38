/** The behaviour behind each command, injected into the program so commands can be tested alone. */
import type { LimitOptions } from '../../clients/client-limits.js';
import type { CommandContext } from '../context.js';

interface Json {
  json?: boolean;
}

export type ServicesOptions = Json;
export interface UpOptions extends Json {
  /** Read into the configuration (manager.engine, manager.advertise) before the action runs. */
  engine?: string;
  advertise?: string;
}
export interface DownOptions extends Json {
  purge?: boolean;
  /** Forget cloud machines that cannot be stopped (their cloud does not answer). */
  force?: boolean;
}
export type StatusOptions = Json;
export interface StartOptions extends Json {
  cloud: string;
  application?: string;
  initial?: boolean;
  flavour: string;
  tag: string;
  name: string;
  /** A proxy's HTTPS certificate and its key (files). */
  certificate?: string;
  key?: string;
}
export interface StopOptions extends Json {
  tag: string;
  /** Forget a machine that cannot be stopped (its cloud does not answer). */
  force?: boolean;
}
export interface LaunchOptions extends Json {
  image: string;
  name: string;
  location?: string;
  script?: string;
  arguments?: string[];
  domain?: string;
  path?: string;
  containerName?: string;
  ttl?: string;
  port?: string;
  containerPort?: string;
  environment: string[];
  cpu?: string;
  memory?: string;
  cpuBurst?: boolean;
  privateNetwork?: boolean;
  replicas?: string;
  detach?: boolean;
}
export interface QuitOptions extends Json {
  name: string;
  rm?: boolean;
}
export interface RemoveOptions extends Json {
  name: string;
}
export interface ListOptions extends Json {
  containers?: boolean;
  instance?: boolean;
  all?: boolean;
}
export interface LogsOptions {
  name: string;
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
}
export interface InfoOptions extends Json {
  service?: string;
  all?: boolean;
  showEnv?: boolean;
}
export interface ExecuteOptions {
  name: string;
  command?: string;
  shell?: boolean;
  replica?: string;
  /** argv given after `--`. */
  argv: string[];
}
export interface CopyOptions {
  source: string;
  destination: string;
  replica?: string;
}
export interface BuildOptions extends Json {
  name: string;
  filename: string;
  /** Build for this client: the image goes to its own namespace (CLIENT/NAME). */
  client?: string;
  /** Build for every client (the default without --client), said outright. */
  shared?: boolean;
}

export interface MonitorOptions extends Json {
  once?: boolean;
}
export interface EventsOptions extends Json {
  since?: string;
  limit?: string;
}

export interface ManagerOptions {
  dryRun?: boolean;
  listen?: string;
}

export interface PolicyTarget extends Json {
  image?: string;
  name?: string;
}
export interface PolicySetOptions extends PolicyTarget {
  min?: string;
  max?: string;
  cpuHigh?: string;
  cpuLow?: string;
  memoryHigh?: string;
  memoryLow?: string;
}
export type PolicyListOptions = Json;
export interface ScrubOptions extends Json {
  keepStoppedDays?: string;
}
export interface ReportOptions extends Json {
  client?: string;
  since?: string;
  until?: string;
  csv?: boolean;
}
export interface ExtendOptions extends Json {
  name: string;
  ttl?: string;
}
export interface ClientOptions extends Json, LimitOptions {
  name: string;
  domain?: string;
  membership?: string;
}
export interface ClientRemoveOptions extends Json {
  name: string;
  force?: boolean;
}
export type ClientListOptions = Json;
export interface DashboardOptions extends Json {
  open?: boolean;
}

type Action<O> = (ctx: CommandContext, options: O) => Promise<void>;

export interface Actions {
  up: Action<UpOptions>;
  down: Action<DownOptions>;
  status: Action<StatusOptions>;
  start: Action<StartOptions>;
  stop: Action<StopOptions>;
  launch: Action<LaunchOptions>;
  quit: Action<QuitOptions>;
  remove: Action<RemoveOptions>;
  list: Action<ListOptions>;
  logs: Action<LogsOptions>;
  info: Action<InfoOptions>;
  execute: Action<ExecuteOptions>;
  copy: Action<CopyOptions>;
  build: Action<BuildOptions>;
  monitor: Action<MonitorOptions>;
  events: Action<EventsOptions>;
  services: Action<ServicesOptions>;
  dashboard: Action<DashboardOptions>;
  extend: Action<ExtendOptions>;
  report: Action<ReportOptions>;
  scrub: Action<ScrubOptions>;
  clientAdd: Action<ClientOptions>;
  clientSet: Action<ClientOptions>;
  clientRemove: Action<ClientRemoveOptions>;
  clientList: Action<ClientListOptions>;
  manager: Action<ManagerOptions>;
  policySet: Action<PolicySetOptions>;
  policyRemove: Action<PolicyTarget>;
  policyList: Action<PolicyListOptions>;
}
