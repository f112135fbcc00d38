/**
 * Names: a container is a Swarm service named in the manual's `container-NAME` pattern.
 * A client's first container is `container-CLIENT`, as in the manual; a client may have
 * more, each `container-CLIENT-IMAGE` after its image (`container-acme-db` for
 * `container-db`), unless the launch names it (`--container-name container-CLIENT-NAME`):
 * a name a client chooses is its own, so it can never take another client's.
 */
import { conflictError, usageError } from '../errors.js';

const CONTAINER = /^container-[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
const CLIENT = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

/** The container name for a client (a name already in the pattern is kept). */
export function containerNameFor(client: string): string {
  const name = client.startsWith('container-') ? client : `container-${client}`;
  if (!CLIENT.test(client.replace(/^container-/, '')) || !CONTAINER.test(name)) {
    throw usageError(
      `invalid client name '${client}': use lower-case letters, digits and '-', at most 48 characters`,
    );
  }
  return name;
}

/** The client a `-n` names: the manual's `-n container-abc` is client abc. */
export const clientOf = (given: string) => given.replace(/^container-/, '');

/**
 * The name of a client's new container, given the names taken: the one asked for, else
 * `container-CLIENT`, else `container-CLIENT-IMAGE`. Refuses a name taken, in one line.
 */
export function chooseContainerName(
  client: string,
  image: string,
  taken: ReadonlySet<string>,
  asked?: string,
  /** Every client that has containers: a name of theirs is not another's to take. */
  clients: ReadonlySet<string> = new Set(),
): string {
  if (asked !== undefined) {
    checkContainerName(asked);
    const own = containerNameFor(client);
    if (asked !== own && !asked.startsWith(`${own}-`))
      throw usageError(`--container-name ${asked} is not client ${client}'s: name it ${own}-NAME`);
    // `container-acme-corp` is client acme-corp's first name, not acme's to take.
    const other = [...clients].find((c) => c !== client && c.startsWith(`${client}-`) && (asked === `container-${c}` || asked.startsWith(`container-${c}-`))); // prettier-ignore
    if (other !== undefined)
      throw conflictError(`--container-name ${asked} is a name of client ${other}'s: choose another ${own}-NAME`); // prettier-ignore
    if (taken.has(asked))
      throw conflictError(`container '${asked}' already exists: quit it with micado quit -n ${asked} --rm, or choose another name`); // prettier-ignore
    return asked;
  }
  const first = containerNameFor(client);
  if (!taken.has(first)) return first;
  // The image's own name: the last part of its path, without its tag or `container-`.
  const word = image.replace(/:[^/:]*$/, '').split('/').pop()!.replace(/^container-/, '').toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, ''); // prettier-ignore
  const next = `${first}-${word}`;
  if (word && CONTAINER.test(next) && !taken.has(next)) return next;
  throw conflictError(
    `client ${client} already has ${[first, ...(taken.has(next) ? [next] : [])].join(' and ')}: name this one with --container-name container-NAME`,
  );
}

/**
 * Check the name of a service a command acts on (quit, remove, logs, info, execute,
 * copy): a container's (`container-NAME`), or any service's Swarm would name (a
 * stack's `STACK_SERVICE`, a `docker service create --name`).
 */
export function checkServiceName(name: string): string {
  if (!/^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62})$/.test(name)) {
    throw usageError(
      `invalid service name '${name}': a container is container-NAME, a stack's service STACK_SERVICE (letters, digits, '_', '.', '-')`,
    );
  }
  return name;
}

/** Check a name given to launch --container-name, build or policy. */
export function checkContainerName(name: string): string {
  if (!CONTAINER.test(name)) {
    throw usageError(
      `invalid container name '${name}': it must look like container-NAME (lower-case letters, digits, '-')`,
    );
  }
  return name;
}
