/**
 * Time limits: a container launched with `--ttl` (or its client's default) carries
 * when it expires as a label of its service, so it lives with the container and any
 * manager finds it. The manager removes expired containers; `list -c` warns of those
 * with under an hour left; `extend` sets a new limit from now, within the client's
 * longest. Pure.
 */
import ms from 'ms';
import { usageError } from '../errors.js';
import type { ClientLimits } from '../store/store.js';
import type { SwarmService } from '../swarm/index.js';
import { parseDuration } from './client-limits.js';
import { CONTAINER_LABEL } from '../swarm/labels.js';

/** Under this much time left, `list -c` warns. */
export const WARN_BEFORE_MS = 3_600_000;

/** When a container launched now expires: its --ttl, or its client's default; undefined: never. */
export function expiryOf(
  ttl: string | undefined,
  limits: ClientLimits,
  now: number,
): number | undefined {
  const ttlMs = ttl === undefined ? limits.ttlMs : parseDuration(ttl, '--ttl');
  if (ttlMs === undefined) return undefined;
  if (limits.maxTtlMs !== undefined && ttlMs > limits.maxTtlMs)
    throw usageError(`--ttl ${ms(ttlMs, { long: true })} is past this client's longest, ${ms(limits.maxTtlMs, { long: true })}`); // prettier-ignore
  return now + ttlMs;
}

export function expiresAt(service: SwarmService): number | undefined {
  const text = service.labels[CONTAINER_LABEL.expires];
  const at = text === undefined ? NaN : Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

/** Containers whose time is up at `now`. */
export function expired(services: SwarmService[], now: number): SwarmService[] {
  return services.filter((s) => {
    const at = expiresAt(s);
    return at !== undefined && at <= now;
  });
}

/** Time left, as people read it ("42m", "3h"). */
export const timeLeft = (at: number, now: number) => ms(Math.max(0, at - now));
