/**
 * `micado client add|set|remove|list`: who containers are launched for, as the original's
 * `clients` collection kept them, with their limits. Everything typed is checked before
 * the store is written; a client with containers is removed only with --force, which
 * quits them first.
 */
import { clientOf, containerNameFor } from '../../containers/container-names.js';
import { isHostName } from '../../containers/route-address.js';
import { conflictError, usageError } from '../../errors.js';
import { describeLimits, limitsFrom } from '../../clients/client-limits.js';
import { clientUsage } from '../../clients/client-quota.js';
import { quitContainer } from '../../containers/container-operations.js';
import { QUIT_TIMEOUT_MS } from './container-actions.js';
import { openExistingStore, openStore } from '../../store/open-store.js';
import type { ClientRecord } from '../../store/store.js';
import type { CommandContext } from '../context.js';
import type {
  ClientListOptions,
  ClientOptions,
  ClientRemoveOptions,
  ScrubOptions,
} from './actions.js';
import { scrub } from '../../clients/scrub.js';
import { registryPushApi } from '../../cluster/private-registry.js';
import { managerFor } from './manager-connection.js';
import { logEvent } from './event-log.js';
import { CONTAINER_LABEL } from '../../swarm/labels.js';

/** The client `-n` names, checked as launch checks it. */
const clientName = (given: string) => clientOf(containerNameFor(given));

function checkedText(options: ClientOptions) {
  if (options.domain !== undefined && options.domain !== '' && !isHostName(options.domain))
    throw usageError(`invalid domain '${options.domain}': use a host name such as acme.example.org`); // prettier-ignore
  if (options.membership !== undefined && (options.membership.length > 200 || /[\n\r]/.test(options.membership)))
    throw usageError('invalid --membership: one line of at most 200 characters'); // prettier-ignore
}

async function save(ctx: CommandContext, options: ClientOptions, adding: boolean): Promise<void> {
  const { config, output } = ctx;
  const name = clientName(options.name);
  checkedText(options);
  const store = await openStore(config);
  let record: ClientRecord;
  try {
    const known = (await store.clients()).find((c) => c.name === name);
    if (adding && known) throw conflictError(`client ${name} exists: change it with micado client set -n ${name}`); // prettier-ignore
    if (!adding && !known) throw usageError(`no client ${name}: add it with micado client add -n ${name}`); // prettier-ignore
    const now = Date.now();
    record = {
      name,
      domain: options.domain === undefined ? known?.domain : options.domain || undefined,
      membership: options.membership === undefined ? known?.membership : options.membership || undefined,
      // A new client starts from the defaults; a flag's `none` lifts one.
      limits: limitsFrom(options, known?.limits ?? config.clients.defaults),
      createdAt: known?.createdAt ?? now,
      updatedAt: now,
    }; // prettier-ignore
    await store.putClient(record);
    // The operator's word on a domain is a hand-over: it is the client's from now on.
    if (record.domain && record.domain !== known?.domain) await store.setDomainOwner(record.domain.toLowerCase(), name); // prettier-ignore
  } finally {
    await store.close();
  }
  const limits = describeLimits(record.limits);
  await logEvent(ctx, { action: adding ? 'client-add' : 'client-set', subject: name, message: `limits: ${limits}` }); // prettier-ignore
  if (options.json) return output.json(record);
  output.line(`client ${name} ${adding ? 'added' : 'changed'}: ${limits}`);
}

export const clientAddAction = (ctx: CommandContext, options: ClientOptions) => save(ctx, options, true); // prettier-ignore
export const clientSetAction = (ctx: CommandContext, options: ClientOptions) => save(ctx, options, false); // prettier-ignore

export async function clientRemoveAction(
  ctx: CommandContext,
  options: ClientRemoveOptions,
): Promise<void> {
  const { config, output } = ctx;
  const name = clientName(options.name);
  const store = await openExistingStore(config);
  try {
    const known = store ? (await store.clients()).some((c) => c.name === name) : false;
    if (!known) throw usageError(`no client ${name}: see micado client list`);
    const { manager } = managerFor(config);
    const theirs = (await manager.listServices({ label: [CONTAINER_LABEL.client] })).filter(
      (s) => s.labels[CONTAINER_LABEL.client] === name,
    );
    if (theirs.length > 0 && !options.force)
      throw conflictError(`client ${name} still has ${theirs.map((s) => s.name).join(', ')}: quit them, or remove with --force (which quits them)`); // prettier-ignore
    for (const service of theirs) {
      await quitContainer(manager, service, true, QUIT_TIMEOUT_MS);
      output.line(`container ${service.name} is stopped and removed`);
    }
    await store!.removeClient(name);
    // Its domains are free again.
    for (const { domain, client } of await store!.domainOwners())
      if (client === name) await store!.setDomainOwner(domain, undefined);
  } finally {
    await store?.close();
  }
  await logEvent(ctx, {
    action: 'client-remove',
    subject: name,
    message: `client ${name} removed`,
  });
  output.line(`client ${name} removed`);
}

export async function clientListAction(
  { config, output }: CommandContext,
  options: ClientListOptions,
): Promise<void> {
  const store = await openExistingStore(config);
  const clients = store ? await store.clients().finally(() => store.close()) : [];
  const { manager } = managerFor(config);
  // A stack's services that name a client (micado.client) count as its own launches do.
  const services = await manager.listServices({ label: [CONTAINER_LABEL.client] });
  const rows = clients.map((c) => ({ ...c, usage: clientUsage(services, c.name) }));
  if (options.json) return output.json({ clients: rows, defaults: config.clients.defaults });
  output.table(
    ['CLIENT', 'DOMAIN', 'MEMBERSHIP', 'CONTAINERS', 'REPLICAS', 'RESERVED', 'LIMITS'],
    rows.map((c) => [
      c.name, c.domain ?? '-', c.membership ?? '-', String(c.usage.containers), String(c.usage.replicas),
      `${c.usage.reserved.cpuMilli}m, ${c.usage.reserved.memoryMb} MB`, describeLimits(c.limits),
    ]),
  ); // prettier-ignore
  output.line(`clients with no record: ${describeLimits(config.clients.defaults)}`);
}

/** `micado scrub`: the daily scrub, now. */
export async function scrubAction(ctx: CommandContext, options: ScrubOptions): Promise<void> {
  const { config, output } = ctx;
  const days = options.keepStoppedDays ?? String(config.clients.keepStoppedDays);
  if (!/^\d{1,4}(\.\d+)?$/.test(days))
    throw usageError(`invalid --keep-stopped-days '${days}': give a number of days, 0 or more`);
  const { layout, manager } = managerFor(config);
  const store = await openStore(config);
  let removed: string[];
  try {
    removed = await scrub({ manager, store, registry: registryPushApi(layout), now: Date.now(), keepStoppedMs: Number(days) * 86_400_000 }); // prettier-ignore
  } finally {
    await store.close();
  }
  for (const line of removed) await logEvent(ctx, { action: 'scrub', subject: line.split(' ')[1]!, message: `removed ${line}` }); // prettier-ignore
  if (options.json) return output.json({ removed });
  if (removed.length === 0) return output.line('scrub: nothing due');
  for (const line of removed) output.line(`removed ${line}`);
}
