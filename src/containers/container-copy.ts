/**
 * `micado copy`: files into and out of a running container, through the engine's
 * archive API, with `docker cp`'s rules: into an existing directory the source keeps
 * its name; otherwise the destination names it.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { pack, extract, type Headers } from 'tar-fs';
import { usageError } from '../errors.js';
import type { SwarmClient } from '../swarm/index.js';

/**
 * `NAME:PATH` -> its parts (NAME a container's, or a stack's or plain service's); anything
 * else is a local path. As with `docker cp`, a local path with a colon is written `./a:b`.
 */
export function splitRemote(text: string): { container: string; path: string } | undefined {
  const match = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(.*)$/.exec(text);
  if (!match) return undefined;
  if (!match[2]!.startsWith('/')) {
    throw usageError(`container path '${match[2]}' must be absolute, e.g. ${match[1]}:/tmp/`);
  }
  return { container: match[1]!, path: match[2]! };
}

export async function copyIn(
  engine: SwarmClient,
  containerId: string,
  local: string,
  remote: string,
): Promise<void> {
  if (!existsSync(local))
    throw usageError(`${local} does not exist: give a file or directory to copy`);
  const destination = await engine.statPath(containerId, remote);
  let directory: string;
  let name: string;
  if (destination?.isDirectory) {
    directory = remote;
    name = basename(resolve(local));
  } else {
    directory = posix.dirname(remote);
    name = posix.basename(remote);
    const parent = await engine.statPath(containerId, directory);
    if (!parent?.isDirectory)
      throw usageError(`no directory ${directory} in the container: create it first`);
  }
  const source = resolve(local);
  const base = basename(source);
  const tar = pack(dirname(source), {
    entries: [base],
    map: (header: Headers) => ({ ...header, name: name + header.name.slice(base.length) }),
  });
  await engine.putArchive(containerId, directory, Readable.from(tar));
}

export async function copyOut(
  engine: SwarmClient,
  containerId: string,
  remote: string,
  local: string,
): Promise<void> {
  const source = await engine.statPath(containerId, remote);
  if (!source) throw usageError(`no ${remote} in the container: check the path`);
  const intoDirectory = existsSync(local) && statSync(local).isDirectory();
  const root = posix.basename(remote.replace(/\/+$/, '')) || source.name;
  const target = intoDirectory ? local : dirname(resolve(local));
  const rename = intoDirectory ? root : basename(local);
  if (!intoDirectory && !existsSync(target))
    throw usageError(`no directory ${target} here: create it first`);
  const archive = await engine.getArchive(containerId, remote);
  await pipeline(
    archive,
    extract(target, {
      map: (header: Headers) => {
        const parts = header.name.split('/');
        if (header.name.startsWith('/') || parts.includes('..')) {
          throw usageError(
            `refusing archive entry '${header.name}' that would land outside ${target}`,
          );
        }
        return { ...header, name: rename + header.name.slice(root.length) };
      },
    }),
  );
}
