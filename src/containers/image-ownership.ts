/**
 * Whose an image is, read from where it lives in the private registry. An image built
 * for a client (`micado build --client CLIENT`) is `CLIENT/NAME`, in the client's own
 * namespace, which only builds for that client write. `micado/…` holds the base images,
 * and a name with no namespace (`container-NAME`, the manual's `micado build` without a
 * client) is the operator's: both are shared with every client. Pure.
 */
import { conflictError, usageError } from '../errors.js';

/** The namespace of the base images micado builds itself: shared, and no client's. */
export const BASE_NAMESPACE = 'micado';

/** The client an image's repository belongs to; undefined for a shared one. */
export function imageOwner(repository: string): string | undefined {
  const slash = repository.indexOf('/');
  if (slash < 0) return undefined;
  const namespace = repository.slice(0, slash);
  return namespace === BASE_NAMESPACE ? undefined : namespace;
}

/** Where a build for `client` (undefined: shared) puts image `name`. */
export function buildRepository(name: string, client: string | undefined): string {
  if (client === BASE_NAMESPACE)
    throw usageError(`--client ${client} names the base images' namespace: build for another client, or without --client to share the image`); // prettier-ignore
  return client === undefined ? name : `${client}/${name}`;
}

/**
 * The repositories a client's launch of `repository` may mean, in the order they are
 * tried: its own image of that name first, then the shared one. Another client's image
 * is refused, in one line.
 */
export function launchCandidates(client: string, repository: string): string[] {
  const owner = imageOwner(repository);
  if (owner === undefined) return repository.includes('/') ? [repository] : [`${client}/${repository}`, repository]; // prettier-ignore
  if (owner !== client)
    throw conflictError(`image ${repository} is client ${owner}'s: launch an image of client ${client}'s own (micado build --client ${client}) or a shared one`); // prettier-ignore
  return [repository];
}
