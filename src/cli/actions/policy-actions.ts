/**
 * `micado policy`: when a container's replicas move with its load. Per image, in the
 * store (MiCADO's imagecontainer table), or per container, as a label on its service
 * (which wins over its image's).
 */
import { checkContainerName } from '../../containers/container-names.js';
import {
  POLICY_DEFAULTS,
  policyFromLabels,
  type ReplicaPolicy,
} from '../../autoscaler/replicas.js';
import { usageError } from '../../errors.js';
import { openExistingStore, openStore } from '../../store/open-store.js';
import type { CommandContext } from '../context.js';
import type { PolicyListOptions, PolicySetOptions, PolicyTarget } from './actions.js';
import { findContainer, managerFor } from './manager-connection.js';
import { logEvent } from './event-log.js';
import { POLICY_LABEL } from '../../swarm/labels.js';

const IMAGE = /^[a-z0-9][a-z0-9._/-]{0,127}$/;

function target(options: PolicyTarget): { image: string } | { container: string } {
  if (Boolean(options.image) === Boolean(options.name)) {
    throw usageError('say what the policy is for: -i IMAGE or -n CONTAINER, not both');
  }
  if (options.image) {
    if (!IMAGE.test(options.image))
      throw usageError(`invalid image '${options.image}': use a name such as container-web`);
    return { image: options.image };
  }
  return { container: checkContainerName(options.name!) };
}

function whole(value: string | undefined, flag: string, fallback: number | undefined): number {
  if (value === undefined) {
    if (fallback === undefined) throw usageError(`give ${flag}`);
    return fallback;
  }
  if (!/^\d+$/.test(value)) throw usageError(`invalid ${flag} '${value}': give a whole number`);
  return Number(value);
}

export function policyOf(options: PolicySetOptions): ReplicaPolicy {
  const policy: ReplicaPolicy = {
    minReplicas: whole(options.min, '--min', POLICY_DEFAULTS.minReplicas),
    maxReplicas: whole(options.max, '--max', undefined),
    cpuHighPercent: whole(options.cpuHigh, '--cpu-high', POLICY_DEFAULTS.cpuHighPercent),
    cpuLowPercent: whole(options.cpuLow, '--cpu-low', POLICY_DEFAULTS.cpuLowPercent),
    memoryHighPercent: whole(
      options.memoryHigh,
      '--memory-high',
      POLICY_DEFAULTS.memoryHighPercent,
    ),
    memoryLowPercent: whole(options.memoryLow, '--memory-low', POLICY_DEFAULTS.memoryLowPercent),
  };
  if (policy.maxReplicas < 1 || policy.maxReplicas < policy.minReplicas) {
    throw usageError(
      `--max ${policy.maxReplicas} must be at least 1 and at least --min ${policy.minReplicas}`,
    );
  }
  if (
    policy.cpuLowPercent >= policy.cpuHighPercent ||
    policy.memoryLowPercent >= policy.memoryHighPercent
  ) {
    throw usageError('each low mark must be under its high mark (e.g. --cpu-low 20 --cpu-high 80)');
  }
  return policy;
}

export async function policySetAction(
  ctx: CommandContext,
  options: PolicySetOptions,
): Promise<void> {
  const { config, output } = ctx;
  const what = target(options);
  const policy = policyOf(options);
  const text = `replicas ${policy.minReplicas}-${policy.maxReplicas}; up over cpu ${policy.cpuHighPercent}% or memory ${policy.memoryHighPercent}%, down under cpu ${policy.cpuLowPercent}% and memory ${policy.memoryLowPercent}% of reserved`;
  if ('image' in what) {
    const store = await openStore(config);
    try {
      await store.putImagePolicy({ image: what.image, ...policy });
    } finally {
      await store.close();
    }
  } else {
    const { manager } = managerFor(config);
    const service = await findContainer(manager, what.container);
    await manager.updateService(service.id, { labels: { [POLICY_LABEL]: JSON.stringify(policy) } });
  }
  const subject = 'image' in what ? `image ${what.image}` : what.container;
  await logEvent(ctx, { action: 'policy', subject, message: text });
  if (options.json) return output.json({ ...what, ...policy });
  output.line(`policy for ${subject}: ${text}`);
}

export async function policyRemoveAction(
  ctx: CommandContext,
  options: PolicyTarget,
): Promise<void> {
  const { config, output } = ctx;
  const what = target(options);
  if ('image' in what) {
    const store = await openExistingStore(config);
    const removed = store
      ? await store.removeImagePolicy(what.image).finally(() => store.close())
      : false;
    if (!removed) throw usageError(`no policy for image '${what.image}': see micado policy list`);
  } else {
    const { manager } = managerFor(config);
    const service = await findContainer(manager, what.container);
    if (!policyFromLabels(service.labels))
      throw usageError(`no policy for ${what.container}: see micado policy list`);
    await manager.updateService(service.id, { labels: { [POLICY_LABEL]: '' } });
  }
  output.line(`policy for ${'image' in what ? `image ${what.image}` : what.container} removed`);
}

export async function policyListAction(
  { config, output }: CommandContext,
  options: PolicyListOptions,
): Promise<void> {
  const store = await openExistingStore(config);
  const images = store ? await store.imagePolicies().finally(() => store.close()) : [];
  const { manager } = managerFor(config);
  const containers = (await manager.listServices())
    .map((s) => ({ container: s.name, policy: policyFromLabels(s.labels) }))
    .filter((c): c is { container: string; policy: ReplicaPolicy } => c.policy !== undefined);
  if (options.json)
    return output.json({
      images,
      containers: containers.map((c) => ({ container: c.container, ...c.policy })),
    });
  const rows = [
    ...images.map((p) => [`image ${p.image}`, p] as const),
    ...containers.map((c) => [c.container, c.policy] as const),
  ];
  if (rows.length === 0) return output.line('no policies: see micado policy set --help');
  output.table(
    ['FOR', 'REPLICAS', 'CPU low/high %', 'MEMORY low/high %'],
    rows.map(([name, p]) => [
      name,
      `${p.minReplicas}-${p.maxReplicas}`,
      `${p.cpuLowPercent}/${p.cpuHighPercent}`,
      `${p.memoryLowPercent}/${p.memoryHighPercent}`,
    ]),
  );
}
