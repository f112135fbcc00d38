/**
 * Builds the configuration: defaults, then the file, then the environment, then flags;
 * validated once at the end, with every problem reported together.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { configError, usageError } from '../errors.js';
import { parseAddress, parseSubnet, subnetSize } from '../host/ipv4.js';
import {
  CONSOLIDATION_MODES,
  DEFAULT_CONFIG,
  ENV_SETTINGS,
  PROXY_POOL,
  type MicadoConfig,
} from './config.js';
import { resolveName } from './names.js';

export const DEFAULT_CONFIG_FILE = '/etc/micado/config.json';

export interface ConfigSources {
  /** An explicit config file (--config or MICADO_CONFIG); must exist. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings from command-line flags, by dotted path. */
  flags?: Partial<Record<string, string>>;
}

type Tree = Record<string, unknown>;

export function loadConfig(sources: ConfigSources = {}): MicadoConfig {
  const env = sources.env ?? process.env;
  const config = structuredClone(DEFAULT_CONFIG) as unknown as Tree;
  const fileName = sources.file ?? env.MICADO_CONFIG;
  if (fileName !== undefined) {
    if (!existsSync(fileName)) {
      throw usageError(`config file ${fileName} does not exist: give an existing file`);
    }
    mergeFile(config, fileName);
  } else if (existsSync(DEFAULT_CONFIG_FILE)) {
    mergeFile(config, DEFAULT_CONFIG_FILE);
  }
  for (const [name, path] of Object.entries(ENV_SETTINGS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(config, path, value);
  }
  for (const [path, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) setPath(config, path, value);
  }
  coerceNumbers(config);
  const problems = validateConfig(config as unknown as MicadoConfig);
  if (problems.length > 0) {
    throw configError(`invalid configuration: ${problems.join('; ')}`);
  }
  return config as unknown as MicadoConfig;
}

function mergeFile(config: Tree, fileName: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(fileName, 'utf8'));
  } catch (err) {
    throw configError(`config file ${fileName} is not valid JSON: fix or remove it`, err);
  }
  if (!isTree(parsed)) throw configError(`config file ${fileName} must hold a JSON object`);
  deepMerge(config, parsed);
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flavours and pools are replaced whole, so a file can drop the defaults it does not want. */
const REPLACED_WHOLE = new Set(['flavours', 'pools']);

function deepMerge(target: Tree, source: Tree): void {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (isTree(current) && isTree(value) && !REPLACED_WHOLE.has(key)) deepMerge(current, value);
    else target[key] = value;
  }
}

function setPath(config: Tree, path: string, value: string): void {
  const keys = path.split('.');
  let node = config;
  for (const key of keys.slice(0, -1)) node = node[key] as Tree;
  node[keys[keys.length - 1] as string] = value;
}

/** Environment and flags arrive as strings; numeric settings are turned into numbers here. */
function coerceNumbers(config: Tree): void {
  const registry = config.registry as Tree;
  if (typeof registry.port === 'string' && /^\d+$/.test(registry.port)) {
    registry.port = Number(registry.port);
  }
  const autoscaler = config.autoscaler as Tree;
  if (autoscaler.dryRun === 'true' || autoscaler.dryRun === '1') autoscaler.dryRun = true;
  if (autoscaler.dryRun === 'false' || autoscaler.dryRun === '0') autoscaler.dryRun = false;
}

const NAME = /^[a-z][a-z0-9]{0,9}$/;
const LINK_NAME = /^[a-zA-Z][a-zA-Z0-9_-]{0,13}$/;

/** A manager on an engine of its host (a VM's): where it is, and what cannot go with it. */
function validateManagerEngine(config: MicadoConfig): string[] {
  const { engine, advertise } = config.manager ?? {};
  if (!engine) {
    return advertise
      ? ['manager.advertise (MICADO_ADVERTISE) needs manager.engine: give --engine too']
      : [];
  }
  const problems: string[] = [];
  if (!/^unix:\/\/\/\S+$/.test(String(engine))) {
    problems.push(
      `manager.engine (MICADO_MANAGER_ENGINE) must be unix:///PATH of the host's engine, e.g. unix:///var/run/docker.sock`,
    );
  }
  if (parseAddress(String(advertise)) === undefined) {
    problems.push(
      `manager.advertise (MICADO_ADVERTISE) must be the IPv4 address nodes reach this host at, got ${JSON.stringify(advertise)}`,
    );
  }
  for (const [name, pool] of Object.entries(isTree(config.pools) ? config.pools : {})) {
    if (isTree(pool) && pool.driver === 'local') {
      problems.push(
        `pools.${name} uses the local driver, whose nodes need the manager micado makes on its bridge: with manager.engine, use cloudbroker pools or none ("pools": {})`,
      );
    }
  }
  return problems;
}

const POOL_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const DRIVERS = new Set(['local', 'cloudbroker']);

function validatePools(config: MicadoConfig): string[] {
  const problems: string[] = [];
  if (!isTree(config.pools)) return ['pools must be an object of named pools'];
  for (const [name, pool] of Object.entries(config.pools)) {
    const where = `pools.${name}`;
    if (!POOL_NAME.test(name))
      problems.push(`${where}: a pool name is lower-case letters, digits and '-'`);
    if (name === PROXY_POOL)
      problems.push(
        `${where}: '${PROXY_POOL}' names proxy nodes (micado start -n proxy), not a pool: choose another name`,
      );
    if (!isTree(pool)) {
      problems.push(`${where} must be an object`);
      continue;
    }
    if (!DRIVERS.has(String(pool.driver)))
      problems.push(`${where}.driver must be local or cloudbroker`);
    // A jobs cloud's pool also names its application: cloudsetup.xml says which API.
    if (pool.driver === 'cloudbroker' && !pool.cloud)
      problems.push(`${where} needs a cloud for the cloudbroker driver`);
    const flavours = isTree(config.flavours) ? Object.keys(config.flavours) : [];
    try {
      pool.flavour = resolveName('flavour', String(pool.flavour), flavours);
    } catch {
      problems.push(`${where}.flavour '${String(pool.flavour)}' is not one of flavours`);
    }
    if (pool.flavours !== undefined) {
      if (!Array.isArray(pool.flavours) || pool.flavours.length === 0)
        problems.push(
          `${where}.flavours must be a list of flavour names, e.g. ["small", "medium"]`,
        );
      else
        pool.flavours = pool.flavours.map((f: unknown) => {
          try {
            return resolveName('flavour', String(f), flavours);
          } catch {
            problems.push(`${where}.flavours: '${String(f)}' is not one of flavours`);
            return String(f);
          }
        });
    }
    if (!(Number.isInteger(pool.min) && pool.min >= 0))
      problems.push(`${where}.min must be a whole number of at least 0`);
    if (!(Number.isInteger(pool.max) && pool.max >= pool.min))
      problems.push(`${where}.max must be a whole number of at least min`);
    if (pool.warm !== undefined && !(Number.isInteger(pool.warm) && pool.warm >= 0))
      problems.push(`${where}.warm must be a whole number of at least 0`);
    else if ((pool.warm ?? 0) > pool.max)
      problems.push(`${where}.warm (${pool.warm}) is more than its max (${pool.max}): warm nodes count in max`); // prettier-ignore
    if (
      pool.labels !== undefined &&
      (!isTree(pool.labels) || Object.values(pool.labels).some((v) => typeof v !== 'string'))
    ) {
      problems.push(`${where}.labels must map names to strings`);
    }
  }
  return problems;
}

export function validateConfig(config: MicadoConfig): string[] {
  const problems: string[] = [];
  if (typeof config.stateDir !== 'string' || !isAbsolute(config.stateDir)) {
    problems.push(`stateDir must be an absolute path, got ${JSON.stringify(config.stateDir)}`);
  }
  if (!NAME.test(String(config.cluster?.name))) {
    problems.push(`cluster.name must be 1-10 lower-case letters or digits, starting with a letter`);
  }
  if (!LINK_NAME.test(String(config.network?.bridge))) {
    problems.push(`network.bridge must be an interface name of at most 14 characters`);
  }
  const subnet = parseSubnet(String(config.network?.subnet));
  if (!subnet) {
    problems.push(`network.subnet must be an IPv4 network such as 10.232.0.0/16`);
  } else if (subnetSize(subnet) < 16) {
    problems.push(`network.subnet ${config.network.subnet} is too small: use /28 or larger`);
  }
  const port = config.registry?.port;
  if (!Number.isInteger(port) || port < 1 || port > 65534) {
    problems.push(
      `registry.port must be a port number (1-65534: the manager pushes on the next one)`,
    );
  }
  const flavours = config.flavours;
  if (!isTree(flavours) || Object.keys(flavours).length === 0) {
    problems.push('flavours must name at least one flavour');
  } else {
    for (const [name, flavour] of Object.entries(flavours)) {
      if (!isTree(flavour) || !(flavour.cpus > 0) || !(flavour.memoryMb > 0)) {
        problems.push(`flavours.${name} needs positive cpus and memoryMb`);
      } else if (
        flavour.pricePerHour !== undefined &&
        !(typeof flavour.pricePerHour === 'number' && flavour.pricePerHour >= 0)
      ) {
        problems.push(`flavours.${name}.pricePerHour must be a number of at least 0, e.g. 0.05`);
      }
    }
  }
  for (const key of [
    'cpuMilli',
    'memoryMb',
    'launchTimeoutMs',
    'maxContextMb',
    'pidsLimit',
    'logMaxSizeMb',
    'logMaxFiles',
  ] as const) {
    // prettier-ignore
    if (!(config.containers?.[key] > 0))
      problems.push(`containers.${key} must be a positive number`);
  }
  for (const key of ['memoryMb', 'cpus', 'pidsLimit', 'diskMb', 'timeoutMs'] as const) {
    if (!(config.build?.[key] > 0)) problems.push(`build.${key} must be a positive number`);
  }
  for (const key of [
    'requestTimeoutMs',
    'provisionTimeoutMs',
    'pollIntervalMs',
    'stopTimeoutMs',
  ] as const) {
    if (!(config.cloudbroker?.[key] > 0))
      problems.push(`cloudbroker.${key} must be a positive number`);
  }
  const url = config.cloudbroker?.url;
  if (url && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(url)) {
    problems.push(`cloudbroker.url must be an http(s) URL, got ${JSON.stringify(url)}`);
  } else if (url && url.startsWith('http://') && !isLoopbackHost(new URL(url).hostname)) {
    problems.push(
      `cloudbroker.url ${url} would send the account's password over plain HTTP: use https:// (plain http only on loopback, as for the emulator)`,
    );
  }
  for (const key of ['connectTimeoutMs', 'historyHours', 'eventDays', 'usageDays'] as const) {
    if (!(config.store?.[key] > 0)) problems.push(`store.${key} must be a positive number`);
  }
  const mongoUrl = config.store?.mongoUrl;
  if (mongoUrl && !/^mongodb(\+srv)?:\/\/\S+$/.test(mongoUrl)) {
    // The URL may hold a password: it is never quoted.
    problems.push('store.mongoUrl (MICADO_MONGO_URL) must be a mongodb:// or mongodb+srv:// URL');
  }
  // The expression's fields are checked by node-cron where it is scheduled (loading it
  // here would cost every command its start-up); its shape is checked here.
  const fields = String(config.monitor?.schedule).trim().split(/\s+/).length;
  if (typeof config.monitor?.schedule !== 'string' || fields < 5 || fields > 6) {
    problems.push(
      `monitor.schedule must be a cron expression such as '* * * * *', got ${JSON.stringify(config.monitor?.schedule)}`,
    );
  }
  for (const key of ['concurrency', 'nodeTimeoutMs'] as const) {
    if (!(config.monitor?.[key] > 0)) problems.push(`monitor.${key} must be a positive number`);
  }
  problems.push(...validatePools(config));
  const autoscaler = config.autoscaler ?? ({} as MicadoConfig['autoscaler']);
  const switches = ['dryRun', 'removeRogueNodes', 'rotateJoinToken'] as const;
  for (const key of switches)
    if (typeof autoscaler[key] !== 'boolean') problems.push(`autoscaler.${key} must be true or false`); // prettier-ignore
  const words = ['consolidation', 'consolidationQuietHours'];
  for (const [key, value] of Object.entries(autoscaler)) {
    if ([...switches, ...words].includes(key)) continue;
    if (!(typeof value === 'number' && value >= 0)) {
      problems.push(`autoscaler.${key} must be a number of at least 0`);
    }
  }
  if (!(autoscaler.scaleDownUtilization >= 0 && autoscaler.scaleDownUtilization <= 1)) {
    problems.push('autoscaler.scaleDownUtilization must be between 0 and 1, e.g. 0.5');
  }
  if (!Number.isInteger(autoscaler.seedImages))
    problems.push('autoscaler.seedImages must be a whole number of images, e.g. 3 (0: none)');
  if (!CONSOLIDATION_MODES.includes(autoscaler.consolidation))
    problems.push(`autoscaler.consolidation must be one of ${CONSOLIDATION_MODES.join(', ')}, got ${JSON.stringify(autoscaler.consolidation)}`); // prettier-ignore
  const quiet = autoscaler.consolidationQuietHours;
  // Its fields are checked by node-cron where the manager starts, as the monitor's.
  if (typeof quiet !== 'string' || (quiet !== '' && !/^\S+(\s+\S+){4,5}$/.test(quiet.trim())))
    problems.push(`autoscaler.consolidationQuietHours must be a cron expression such as '* 8-18 * * 1-5' (its minutes are quiet), or '' for none, got ${JSON.stringify(quiet)}`); // prettier-ignore
  if (!(autoscaler.consolidationBudgetPercent <= 100))
    problems.push('autoscaler.consolidationBudgetPercent must be at most 100, e.g. 20');
  if (!(autoscaler.scanIntervalMs >= 100))
    problems.push('autoscaler.scanIntervalMs must be at least 100');
  if (!/^[\w.-]+:\d{1,5}$/.test(String(config.manager?.listen))) {
    problems.push(`manager.listen must be host:port, e.g. 127.0.0.1:9465`);
  }
  problems.push(...validateManagerEngine(config));
  if (!(config.discovery?.resyncMs >= 100))
    problems.push('discovery.resyncMs must be at least 100');
  if (config.discovery?.listen && !/^[\d.]+:\d{1,5}$/.test(String(config.discovery.listen))) {
    problems.push('discovery.listen must be ADDRESS:PORT, e.g. 10.232.0.1:8500');
  }
  const consul = String(config.discovery?.consulUrl ?? '');
  if (consul && !/^https?:\/\/[^/\s]+\/?$/.test(consul)) {
    problems.push(
      `discovery.consulUrl (MICADO_CONSUL_URL) must be http://HOST:PORT of a Consul agent, got ${JSON.stringify(consul)}`,
    );
  }
  for (const key of ['readyTimeoutMs', 'stopGraceMs'] as const) {
    if (!(config.local?.[key] > 0)) problems.push(`local.${key} must be a positive number`);
  }
  if (!(Number(config.clients?.keepStoppedDays) >= 0))
    problems.push('clients.keepStoppedDays must be a number of days, 0 or more');
  const defaults = (config.clients?.defaults ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(defaults)) {
    const known = ['containers', 'replicas', 'cpuMilli', 'memoryMb', 'ttlMs', 'maxTtlMs'].includes(
      key,
    );
    if (key === 'pools') {
      if (!Array.isArray(value) || !value.every((p) => typeof p === 'string'))
        problems.push('clients.defaults.pools must be a list of pool names');
    } else if (!known)
      problems.push(`clients.defaults.${key} is no limit: use containers, replicas, cpuMilli, memoryMb, pools, ttlMs or maxTtlMs`); // prettier-ignore
    else if (!(Number.isInteger(value) && (value as number) >= 0))
      problems.push(`clients.defaults.${key} must be a whole number, 0 or more`);
  }
  return problems;
}

/** A host name or address on this machine's loopback. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
