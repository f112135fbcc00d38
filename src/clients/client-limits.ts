/**
 * A client's limits as typed (`micado client add|set`), checked whole before anything
 * is written: counts and amounts within reason, durations with a unit between a minute
 * and a year. `none` clears a limit. Pure.
 */
import ms from 'ms';
import { usageError } from '../errors.js';
import { parseCpuMilli, parseMemoryMb } from '../containers/quantities.js';
import type { ClientLimits } from '../store/store.js';

export interface LimitOptions {
  maxContainers?: string;
  maxReplicas?: string;
  maxCpu?: string;
  maxMemory?: string;
  pools?: string;
  ttl?: string;
  maxTtl?: string;
}

const MOST = { containers: 10_000, replicas: 100_000, cpuMilli: 10_000_000, memoryMb: 1 << 30 };
const LEAST_TTL_MS = 60_000;
const MOST_TTL_MS = 366 * 86_400_000;
const POOL = /^[a-z][a-z0-9-]{0,31}$/;

/** A time limit as typed: `24h`, `30m`, `7d` (a unit is required), a minute to a year. */
export function parseDuration(text: string, what: string): number {
  const value = /^\d+(?:\.\d+)?\s*[a-z]+$/i.test(text.trim())
    ? ms(text.trim() as ms.StringValue)
    : undefined;
  if (value === undefined || !Number.isFinite(value) || value < LEAST_TTL_MS || value > MOST_TTL_MS)
    throw usageError(`invalid ${what} '${text}': give a duration such as 30m, 24h or 7d, from a minute to a year`); // prettier-ignore
  return value;
}

/** The limits `options` set on top of `current` (undefined: left as they were). */
export function limitsFrom(options: LimitOptions, current: ClientLimits = {}): ClientLimits {
  const limits: ClientLimits = { ...current };
  const count = (text: string | undefined, key: 'containers' | 'replicas', flag: string) => {
    if (text === undefined) return;
    if (text === 'none') return void delete limits[key];
    if (!/^\d{1,7}$/.test(text) || Number(text) > MOST[key])
      throw usageError(`invalid ${flag} '${text}': give a whole number from 0 to ${MOST[key]}, or none`); // prettier-ignore
    limits[key] = Number(text);
  };
  count(options.maxContainers, 'containers', '--max-containers');
  count(options.maxReplicas, 'replicas', '--max-replicas');
  if (options.maxCpu !== undefined) {
    if (options.maxCpu === 'none') delete limits.cpuMilli;
    else limits.cpuMilli = parseCpuMilli(options.maxCpu);
    if ((limits.cpuMilli ?? 0) > MOST.cpuMilli) throw usageError(`invalid --max-cpu '${options.maxCpu}': at most ${MOST.cpuMilli / 1000} CPUs`); // prettier-ignore
  }
  if (options.maxMemory !== undefined) {
    if (options.maxMemory === 'none') delete limits.memoryMb;
    else limits.memoryMb = parseMemoryMb(options.maxMemory);
    if ((limits.memoryMb ?? 0) > MOST.memoryMb) throw usageError(`invalid --max-memory '${options.maxMemory}': at most 1 PB`); // prettier-ignore
  }
  if (options.pools !== undefined) {
    if (options.pools === 'none') delete limits.pools;
    else {
      const pools = options.pools.split(',').map((p) => p.trim());
      const bad = pools.find((p) => !POOL.test(p));
      if (bad !== undefined) throw usageError(`invalid pool '${bad}' in --pools: give pool names, comma-separated`); // prettier-ignore
      limits.pools = [...new Set(pools)];
    }
  }
  if (options.ttl !== undefined) {
    if (options.ttl === 'none') delete limits.ttlMs;
    else limits.ttlMs = parseDuration(options.ttl, '--ttl');
  }
  if (options.maxTtl !== undefined) {
    if (options.maxTtl === 'none') delete limits.maxTtlMs;
    else limits.maxTtlMs = parseDuration(options.maxTtl, '--max-ttl');
  }
  if (limits.ttlMs !== undefined && limits.maxTtlMs !== undefined && limits.ttlMs > limits.maxTtlMs)
    throw usageError(`the default --ttl (${ms(limits.ttlMs, { long: true })}) is longer than --max-ttl (${ms(limits.maxTtlMs, { long: true })})`); // prettier-ignore
  return limits;
}

/** Limits in a line, as `client list` shows them. */
export function describeLimits(limits: ClientLimits): string {
  const parts = [
    limits.containers !== undefined && `${limits.containers} containers`,
    limits.replicas !== undefined && `${limits.replicas} replicas`,
    limits.cpuMilli !== undefined && `${limits.cpuMilli}m CPU`,
    limits.memoryMb !== undefined && `${limits.memoryMb} MB`,
    limits.pools && `pools ${limits.pools.join(',')}`,
    limits.ttlMs !== undefined && `ttl ${ms(limits.ttlMs)}`,
    limits.maxTtlMs !== undefined && `max ttl ${ms(limits.maxTtlMs)}`,
  ].filter(Boolean);
  return parts.join(', ') || 'unlimited';
}
