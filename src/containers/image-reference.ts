/**
 * Image names resolve against the private registry: every node pulls from there, and
 * it is the only registry a node can reach.
 */
import { usageError } from '../errors.js';

export interface ImageReference {
  /** Full name as nodes pull it: registry/repository:tag. */
  name: string;
  repository: string;
  tag: string;
}

const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function resolveImage(input: string, registry: string): ImageReference {
  let rest = input;
  const first = input.split('/')[0]!;
  if (
    input.includes('/') &&
    (first.includes('.') || first.includes(':') || first === 'localhost')
  ) {
    if (first !== registry) {
      throw usageError(
        `image '${input}' is not in the private registry ${registry}: build it with micado build, or push it there`,
      );
    }
    rest = input.slice(first.length + 1);
  }
  const colon = rest.lastIndexOf(':');
  const repository = colon > 0 ? rest.slice(0, colon) : rest;
  const tag = colon > 0 ? rest.slice(colon + 1) : 'latest';
  if (!REPOSITORY.test(repository) || !TAG.test(tag)) {
    throw usageError(`invalid image name '${input}': use NAME or NAME:TAG`);
  }
  return { name: `${registry}/${repository}:${tag}`, repository, tag };
}
