/**
 * What both CloudBroker drivers (jobs and instances) do alike: find a flavour's
 * instance type, take each step through transient faults until a deadline, and poll a
 * machine until it is where it should be. CloudBroker has no push: everything is polled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MicadoConfig } from '../config/config.js';
import { MicadoError, usageError } from '../errors.js';
import { CloudBrokerError } from './cloudbroker-error.js';
import type { CloudDefinition } from './cloud-setup.js';
import { isTransientFault, retryTransient } from './transient-retry.js';

/** The cloud's instance type for a flavour, as the manual writes it (any case). */
export function instanceTypeOf(definition: CloudDefinition, flavour: string): string {
  const size = Object.keys(definition.flavours).find(
    (f) => f.toLowerCase() === flavour.toLowerCase(),
  );
  const type = size === undefined ? undefined : definition.flavours[size];
  if (!type) {
    const known = Object.keys(definition.flavours).join(', ');
    throw usageError(`cloud ${definition.name} has no flavour '${flavour}': use one of ${known}`);
  }
  return type;
}

/** Steps retried through transient faults until `deadline`, each retry a phase heard. */
export function stepsUntil(deadline: number, onPhase?: (phase: string) => void) {
  return <T>(what: string, fn: () => Promise<T>) =>
    retryTransient(fn, {
      deadline,
      onRetry: (err) => onPhase?.(`${what}: ${err.message}; trying again`),
    });
}

/**
 * Poll `look` until it finds what it looks for. A transient fault is a look that saw
 * nothing new (until `faultDeadline`, if given); anything else it throws ends the wait.
 * Each new phase is heard; past the deadline, `timeout` says why with the last phase.
 */
export async function pollUntil<T>(
  config: MicadoConfig,
  options: {
    look: () => Promise<{ phase: string; found?: T }>;
    deadline: number;
    faultDeadline?: number;
    onPhase?: (phase: string) => void;
    timeout: (phase: string) => string;
  },
): Promise<T> {
  let last = '';
  for (;;) {
    let phase: string;
    try {
      const seen = await options.look();
      if (seen.found !== undefined) return seen.found;
      phase = seen.phase;
    } catch (err) {
      if (!isTransientFault(err)) throw err;
      if (options.faultDeadline !== undefined && Date.now() > options.faultDeadline) throw err;
      phase = `not read: ${err.message}`;
    }
    if (phase !== last) options.onPhase?.(phase);
    last = phase;
    if (Date.now() > options.deadline) throw new MicadoError('cloud', options.timeout(phase));
    await sleep(config.cloudbroker.pollIntervalMs);
  }
}

/**
 * Wait until `status` is one of `states`, or the platform no longer knows the record.
 * Faults are borne until `faultDeadline`; a record that answers but takes its time,
 * until the provisioning timeout.
 */
export async function waitForStatus(
  config: MicadoConfig,
  what: string,
  status: () => Promise<string>,
  states: string[],
  faultDeadline: number,
): Promise<void> {
  const seconds = Math.round(config.cloudbroker.provisionTimeoutMs / 1000);
  await pollUntil(config, {
    deadline: Date.now() + config.cloudbroker.provisionTimeoutMs,
    faultDeadline,
    look: async () => {
      try {
        const now = await status();
        return { phase: now, found: states.includes(now) ? true : undefined };
      } catch (err) {
        if (err instanceof CloudBrokerError && err.fault === 'not found')
          return { phase: 'gone', found: true };
        throw err;
      }
    },
    timeout: (phase) => `${what} is still ${phase} after ${seconds} s`,
  });
}

/** A platform that does not answer lists nothing (the machines stay known, state unknown). */
export async function listedOrNone<T>(listing: Promise<T[]>): Promise<T[]> {
  return listing.catch((err: unknown) => {
    if (err instanceof CloudBrokerError) return [];
    throw err;
  });
}
