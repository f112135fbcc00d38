/** launch, quit and remove: the lifecycle of a container. */
import { conflictError, messageOf, usageError } from '../../errors.js';
import {
  checkContainerName,
  checkServiceName,
  clientOf,
  containerNameFor,
} from '../../containers/container-names.js';
import { checkLaunchOptions, parsePort } from '../../containers/container-spec.js';
import {
  launchContainer,
  quitContainer,
  removeContainer,
  runOrRemove,
} from '../../containers/container-operations.js';
import { resolveImage } from '../../containers/image-reference.js';
import { imageRegistry } from '../../cluster/private-registry.js';
import { parseCpuMilli, parseMemoryMb } from '../../containers/quantities.js';
import type { CommandContext } from '../context.js';
import type { ExtendOptions, LaunchOptions, QuitOptions, RemoveOptions } from './actions.js';
import { findContainer, managerFor } from './manager-connection.js';
import { logEvent } from './event-log.js';
import { clientLimits, limitsIn } from './client-limits-of.js';
import { clientUsage, quotaProblem } from '../../clients/client-quota.js';
import { expiryOf, timeLeft } from '../../clients/time-limits.js';
import { parseDuration } from '../../clients/client-limits.js';
import type { SwarmService } from '../../swarm/index.js';
import { CapacityProgress } from './capacity-progress.js';
import { openStore } from '../../store/open-store.js';
import { withLock } from '../../host/file-lock.js';
import { join } from 'node:path';
import { CONTAINER_LABEL } from '../../swarm/labels.js';
import { stackOf } from '../../containers/container-view.js';

export const QUIT_TIMEOUT_MS = 60_000;

export async function launchAction(ctx: CommandContext, options: LaunchOptions): Promise<void> {
  const { config, output } = ctx;
  // Everything the user typed is checked before the engine is asked anything.
  const client = clientOf(containerNameFor(options.name));
  if (options.containerName !== undefined) checkContainerName(options.containerName);
  const problem = checkLaunchOptions(options);
  if (problem) throw usageError(problem);
  const cpuMilli =
    options.cpu === undefined ? config.containers.cpuMilli : parseCpuMilli(options.cpu);
  const memoryMb =
    options.memory === undefined ? config.containers.memoryMb : parseMemoryMb(options.memory);
  const { layout, manager } = managerFor(config);
  const image = resolveImage(options.image, layout.registry);
  const started = performance.now();
  const replicas = options.replicas === undefined ? 1 : Number(options.replicas);
  // The store records who owns each domain; a launch on one claims it. Launches take
  // turns (a lock every micado process shares) from the names and quotas they read to
  // the service they make: ten at once against a limit of three make three.
  const name = await withLock(join(config.stateDir, 'launch.lock'), 60_000, async () => {
    const store = await openStore(config);
    try {
      const limits = await limitsIn(store, config, client);
      const quota = (containers: SwarmService[]) =>
        quotaProblem(client, limits, clientUsage(containers, client), {
          containers: 1,
          replicas,
          each: { cpuMilli, memoryMb },
          pool: options.location,
        });
      return await launchContainer(
        manager,
        imageRegistry(layout),
        {
          ...(options.containerName !== undefined ? { name: options.containerName } : {}),
          client,
          image: { given: options.image, name: image.name },
          location: options.location,
          script: options.script,
          arguments: options.arguments,
          domain: options.domain,
          path: options.path,
          port: parsePort(options.port),
          containerPort: parsePort(options.containerPort, 'container port'),
          environment: options.environment,
          cpuMilli,
          memoryMb,
          cpuBurst: options.cpuBurst === true,
          privateNetwork: options.privateNetwork === true,
          replicas,
          expiresAt: expiryOf(options.ttl, limits, Date.now()),
          limits: config.containers,
        },
        quota,
        store,
      );
    } finally {
      await store.close();
    }
  });
  if (options.detach) {
    await logEvent(ctx, { action: 'launch', subject: name, message: `launched ${image.name}` });
    if (options.json) return output.json({ name, state: 'launched' });
    return output.line(`container ${name} launched; see micado list -c`);
  }
  const progress = options.json ? undefined : output.progress(`launching ${name}`);
  const capacity = new CapacityProgress(config, name, Date.now() - 1000);
  const waited = await runOrRemove(manager, name, config.containers.launchTimeoutMs, (phase) =>
    // Evaluated with or without a spinner: it also ends the wait when no pool fits.
    progress?.phase(capacity.describe(phase)),
  )
    .catch((err: unknown) => err as Error)
    .finally(async () => {
      progress?.done();
      await capacity.close();
    });
  if (waited instanceof Error) {
    await logEvent(ctx, { action: 'launch-failed', subject: name, message: messageOf(waited) });
    throw waited;
  }
  const seconds = (performance.now() - started) / 1000;
  await logEvent(ctx, {
    action: 'launch',
    subject: name,
    message: `launched ${image.name}: ${waited.state} in ${seconds.toFixed(1)} s`,
  });
  if (options.json) return output.json({ ...waited, seconds });
  const where = waited.nodes.length > 0 ? ` on ${waited.nodes.join(', ')}` : '';
  output.line(
    `container ${name} is ${waited.state}${where} (${waited.image}) in ${seconds.toFixed(1)} s`,
  );
}

export async function quitAction(ctx: CommandContext, options: QuitOptions): Promise<void> {
  const { config, output } = ctx;
  const name = checkServiceName(options.name);
  const { manager } = managerFor(config);
  const service = await findContainer(manager, name);
  if (options.rm) refuseStackRemoval(service);
  const progress = options.json ? undefined : output.progress(`stopping ${name}`);
  await quitContainer(manager, service, options.rm ?? false, QUIT_TIMEOUT_MS).finally(() =>
    progress?.done(),
  );
  await logEvent(ctx, {
    action: 'quit',
    subject: name,
    message: options.rm ? 'stopped and removed' : 'stopped',
  });
  if (options.json) return output.json({ name, stopped: true, removed: options.rm ?? false });
  output.line(`container ${name} is stopped${options.rm ? ' and removed' : ''}`);
}

export async function removeAction(ctx: CommandContext, options: RemoveOptions): Promise<void> {
  const { config, output } = ctx;
  const name = checkServiceName(options.name);
  const { manager } = managerFor(config);
  const service = await findContainer(manager, name);
  refuseStackRemoval(service);
  await removeContainer(manager, service);
  await logEvent(ctx, { action: 'remove', subject: name, message: 'removed' });
  if (options.json) return output.json({ name, removed: true });
  output.line(`container ${name} is removed`);
}

/** A stack's service goes with its stack: removed alone, the next deploy would bring it back. */
function refuseStackRemoval(service: SwarmService): void {
  const stack = stackOf(service);
  if (stack !== undefined)
    throw conflictError(`${service.name} belongs to stack ${stack}: remove the stack with docker stack rm ${stack}`); // prettier-ignore
}

/** `micado extend`: a new time limit, from now, within the client's longest. */
export async function extendAction(ctx: CommandContext, options: ExtendOptions): Promise<void> {
  const { config, output } = ctx;
  const name = checkContainerName(options.name);
  if (options.ttl === undefined) throw usageError('give the new time limit: --ttl 4h');
  parseDuration(options.ttl, '--ttl');
  const { manager } = managerFor(config);
  const service = await findContainer(manager, name);
  const limits = await clientLimits(config, service.labels[CONTAINER_LABEL.client] ?? '');
  const expiresAt = expiryOf(options.ttl, limits, Date.now())!;
  const expires = new Date(expiresAt).toISOString();
  await manager.updateService(service.id, { labels: { [CONTAINER_LABEL.expires]: expires } });
  await logEvent(ctx, { action: 'extend', subject: name, message: `expires ${expires}` });
  if (options.json) return output.json({ name, expires });
  output.line(`container ${name} is removed at ${expires} (in ${timeLeft(expiresAt, Date.now())})`);
}
