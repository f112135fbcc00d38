/**
 * Names: a container is a Swarm service named `container-CLIENT` (the manual's
 * "container-name" pattern), the client being who it is launched for.
 */
import { usageError } from '../errors.js';

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

/** Check a name given to quit, remove, logs, info, execute, copy or build. */
export function checkContainerName(name: string): string {
  if (!CONTAINER.test(name)) {
    throw usageError(
      `invalid container name '${name}': it must look like container-NAME (lower-case letters, digits, '-')`,
    );
  }
  return name;
}
