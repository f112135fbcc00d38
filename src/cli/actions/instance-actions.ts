/** start and stop: a node through a cloud driver, by flavour, pool and tag. */
import { randomBytes } from 'node:crypto';
import { resolveName } from '../../config/names.js';
import { conflictError, messageOf, MicadoError, usageError } from '../../errors.js';
import { allInstances, driverOfCloud, LOCAL_CLOUD } from '../../nodes/node-drivers.js';
import { clusterUp } from '../../cluster/cluster-up.js';
import { clusterLayout, swarmEntry } from '../../cluster/cluster-layout.js';
import { labelNode, nodeOfInstance, startNode, stopNode } from '../../nodes/node-lifecycle.js';
import { connectManager } from './manager-connection.js';
import { PROXY_POOL } from '../../config/config.js';
import { readServedCertificate, type ServedCertificate } from '../../host/served-certificate.js';
import { logEvent } from './event-log.js';
import type { CommandContext } from '../context.js';
import type { StartOptions, StopOptions } from './actions.js';

const POOL = /^[a-z][a-z0-9-]{0,31}$/;
const TAG = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const DRAIN_TIMEOUT_MS = 60_000;

export async function startAction(ctx: CommandContext, options: StartOptions): Promise<void> {
  const { config, output } = ctx;
  const flavour = resolveName('flavour', options.flavour, Object.keys(config.flavours));
  if (!POOL.test(options.name)) {
    throw usageError(
      `invalid node name '${options.name}': use a pool name such as application or database`,
    );
  }
  if (!TAG.test(options.tag)) {
    throw usageError(`invalid tag '${options.tag}': use letters, digits, '.', '_' and '-'`);
  }
  let certificate: ServedCertificate | undefined;
  if (options.certificate !== undefined || options.key !== undefined) {
    if (options.name !== PROXY_POOL)
      throw usageError(`--certificate and --key are a proxy's: micado start -n ${PROXY_POOL} ...`);
    certificate = readServedCertificate(options.certificate, options.key);
  }
  const driver = driverOfCloud(config, options.cloud, options.application);
  const layout = clusterLayout(config);
  if (options.initial) await clusterUp(layout);
  const manager = connectManager(layout);
  const taken = (await allInstances(config)).find(
    ({ instance }) => instance.tag === options.tag,
  )?.instance;
  if (taken)
    throw conflictError(
      `tag '${options.tag}' is already used by instance ${taken.id}: choose another`,
    );

  const id = `i-${randomBytes(4).toString('hex')}`;
  const started = performance.now();
  const progress = options.json ? undefined : output.progress(`starting a ${flavour} node`);
  const request = {
    id,
    cloud: driver.cloud,
    pool: options.name,
    flavour,
    tag: options.tag,
  };
  const { instance, node } = await startNode(
    manager,
    driver,
    { ...swarmEntry(layout), certificate },
    request,
    driver.cloud === LOCAL_CLOUD
      ? config.local.readyTimeoutMs
      : config.cloudbroker.provisionTimeoutMs + config.local.readyTimeoutMs,
    (phase) => progress?.phase(phase),
  )
    .then(async (started) => ({
      ...started,
      node: await labelNode(manager, started.node, request, driver.name),
    }))
    .finally(() => progress?.done());
  const seconds = (performance.now() - started) / 1000;
  await logEvent(ctx, {
    action: 'start',
    subject: instance.id,
    message: `started a ${flavour} node in pool ${options.name} on ${driver.cloud} (tag ${options.tag}), Ready in ${seconds.toFixed(1)} s`,
  });
  if (options.json)
    return output.json({
      instance,
      node: { id: node.id, hostname: node.hostname, state: node.state },
      seconds,
    });
  output.line(
    `instance ${instance.id} (${flavour}, pool ${options.name}, tag ${options.tag}) is Ready as node ${node.hostname} at ${instance.address} in ${seconds.toFixed(1)} s`,
  );
}

export async function stopAction(ctx: CommandContext, options: StopOptions): Promise<void> {
  const { config, output } = ctx;
  const layout = clusterLayout(config);
  const manager = connectManager(layout);
  const found = (await allInstances(config)).find(({ instance }) => instance.tag === options.tag);
  if (!found) throw conflictError(`no instance is tagged '${options.tag}': see micado list -i`);
  const { driver, instance } = found;
  const progress = options.json ? undefined : output.progress(`stopping ${instance.id}`);
  const stopped = await stopNode(manager, driver, instance.id, DRAIN_TIMEOUT_MS, (phase) =>
    progress?.phase(phase),
  )
    .then(() => undefined)
    .catch((err: unknown) => err)
    .finally(() => progress?.done());
  if (stopped !== undefined) {
    const where = `instance ${instance.id} (tag ${options.tag}) on ${driver.cloud}`;
    if (!options.force || !driver.forget) {
      throw new MicadoError(
        'cloud',
        `${where} could not be stopped and is left running: ${messageOf(stopped)}; try again, or micado stop -t ${options.tag} --force to forget it`,
        { cause: stopped },
      );
    }
    driver.forget(instance.id);
    const node = await nodeOfInstance(manager, instance.id);
    if (node) await manager.removeNode(node.id, true);
    const message = `forgotten, not stopped (${messageOf(stopped)}): it may still run, and cost, on ${driver.cloud}`;
    await logEvent(ctx, { action: 'forget', subject: instance.id, message });
    if (options.json) return output.json({ forgotten: instance.id, tag: options.tag });
    output.line(`${where} is forgotten, not stopped: stop it on ${driver.cloud} yourself`);
    return;
  }
  await logEvent(ctx, {
    action: 'stop',
    subject: instance.id,
    message: `stopped (tag ${options.tag}) and its node removed`,
  });
  if (options.json) return output.json({ stopped: instance.id, tag: options.tag });
  output.line(`instance ${instance.id} (tag ${options.tag}) is stopped and its node removed`);
}
