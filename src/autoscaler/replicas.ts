/**
 * Replica scaling: a container's replicas follow its measured usage. Usage per
 * replica, as a share of what a replica reserves, above a policy's high mark on CPU or
 * memory adds replicas (in proportion, as a horizontal autoscaler does); under the
 * low marks on both takes one away; always within min and max, and not within the
 * cooldown after the last change. A container stopped with quit (0 replicas) is left
 * alone. Per-container policies (service labels) override per-image ones.
 */
import type { ImagePolicy } from '../store/store.js';
import type { Usage } from '../monitor/usage.js';
import { POLICY_LABEL, POLICY_LABELS } from '../swarm/labels.js';

export type ReplicaPolicy = Omit<ImagePolicy, 'image'>;

export interface ScaledService {
  name: string;
  image: string;
  replicas: number;
  reserved: { cpuMilli: number; memoryMb: number };
  /** Its own policy, from its labels, if it has one. */
  policy: ReplicaPolicy | undefined;
}

export interface ReplicaInput {
  services: ScaledService[];
  imagePolicies: ImagePolicy[];
  usage: Map<string, Usage>;
  lastChange: Map<string, number>;
  cooldownMs: number;
  now: number;
}

export interface ReplicaChange {
  service: string;
  from: number;
  to: number;
  why: string;
}

const pct = (used: number | undefined, reserved: number) =>
  used === undefined || reserved <= 0 ? undefined : (used / reserved) * 100;

export function planReplicas(input: ReplicaInput): ReplicaChange[] {
  const byImage = new Map(input.imagePolicies.map((p) => [p.image, p]));
  const changes: ReplicaChange[] = [];
  for (const service of input.services) {
    const policy = service.policy ?? byImage.get(service.image);
    if (!policy || service.replicas === 0) continue;
    if (input.now - (input.lastChange.get(service.name) ?? -Infinity) < input.cooldownMs) continue;
    const from = service.replicas;
    const clamp = (n: number) => Math.min(policy.maxReplicas, Math.max(policy.minReplicas, n));
    if (from < policy.minReplicas || from > policy.maxReplicas) {
      changes.push({
        service: service.name,
        from,
        to: clamp(from),
        why: `outside min ${policy.minReplicas} and max ${policy.maxReplicas}`,
      });
      continue;
    }
    const usage = input.usage.get(service.name);
    if (!usage || usage.replicas === 0) continue;
    const cpu = pct(
      usage.cpuMilli === undefined ? undefined : usage.cpuMilli / usage.replicas,
      service.reserved.cpuMilli,
    );
    const memory = pct(usage.memoryMb / usage.replicas, service.reserved.memoryMb);
    const over = Math.max(
      cpu !== undefined ? cpu / policy.cpuHighPercent : 0,
      memory !== undefined ? memory / policy.memoryHighPercent : 0,
    );
    const describe = `cpu ${cpu === undefined ? '-' : cpu.toFixed(0)}%, memory ${memory === undefined ? '-' : memory.toFixed(0)}% of reserved per replica`;
    if (over > 1) {
      const to = clamp(Math.ceil(from * over));
      if (to > from)
        changes.push({
          service: service.name,
          from,
          to,
          why: `${describe}, over ${policy.cpuHighPercent}%/${policy.memoryHighPercent}%`,
        });
      continue;
    }
    const under =
      (cpu === undefined || cpu < policy.cpuLowPercent) &&
      (memory === undefined || memory < policy.memoryLowPercent) &&
      (cpu !== undefined || memory !== undefined);
    if (under && from > policy.minReplicas) {
      changes.push({
        service: service.name,
        from,
        to: from - 1,
        why: `${describe}, under ${policy.cpuLowPercent}%/${policy.memoryLowPercent}%`,
      });
    }
  }
  return changes;
}

/** What `micado policy set` takes when a mark is not given. */
export const POLICY_DEFAULTS = { minReplicas: 1, cpuHighPercent: 80, cpuLowPercent: 20, memoryHighPercent: 80, memoryLowPercent: 20 }; // prettier-ignore

/**
 * A service's own policy: the JSON `micado policy set -n` writes, else the deploy labels
 * of one setting each (a stack's, POLICY_LABELS; max required, the rest defaulted as
 * policy set does). A policy that does not hold together (max under min, a low mark
 * over its high one, a word for a number) is none.
 */
export function policyFromLabels(labels: Record<string, string>): ReplicaPolicy | undefined {
  const raw = labels[POLICY_LABEL];
  if (!raw) return policyFromDeployLabels(labels);
  try {
    const parsed = JSON.parse(raw) as ReplicaPolicy;
    return typeof parsed.minReplicas === 'number' && typeof parsed.maxReplicas === 'number'
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

function policyFromDeployLabels(labels: Record<string, string>): ReplicaPolicy | undefined {
  if (labels[POLICY_LABELS.max] === undefined) return undefined;
  const whole = (label: string, fallback: number) => {
    const value = labels[label];
    return value === undefined ? fallback : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  };
  const policy: ReplicaPolicy = {
    minReplicas: whole(POLICY_LABELS.min, POLICY_DEFAULTS.minReplicas),
    maxReplicas: whole(POLICY_LABELS.max, NaN),
    cpuHighPercent: whole(POLICY_LABELS.cpuHigh, POLICY_DEFAULTS.cpuHighPercent),
    cpuLowPercent: whole(POLICY_LABELS.cpuLow, POLICY_DEFAULTS.cpuLowPercent),
    memoryHighPercent: whole(POLICY_LABELS.memoryHigh, POLICY_DEFAULTS.memoryHighPercent),
    memoryLowPercent: whole(POLICY_LABELS.memoryLow, POLICY_DEFAULTS.memoryLowPercent),
  };
  const holds =
    Object.values(policy).every(Number.isFinite) &&
    policy.maxReplicas >= Math.max(1, policy.minReplicas) &&
    policy.cpuLowPercent < policy.cpuHighPercent &&
    policy.memoryLowPercent < policy.memoryHighPercent;
  return holds ? policy : undefined;
}
