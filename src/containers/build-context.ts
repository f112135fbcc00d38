/**
 * `micado build` takes a tarball holding a directory named after the container, with
 * a Dockerfile and its files. It is checked whole before anything is built (entries
 * that would land outside that directory, links leading out of it, special files,
 * sizes), then streamed again as a build context rooted at that directory.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract, pack, type Header } from 'tar-stream';
import { usageError } from '../errors.js';

export interface ContextLimits {
  /** Largest total of file sizes accepted. */
  maxBytes: number;
}

export interface ContextSummary {
  files: number;
  bytes: number;
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

async function entries(file: string): Promise<AsyncIterable<Readable & { header: Header }>> {
  const raw: Readable = createReadStream(file);
  const source = (await isGzip(file)) ? raw.pipe(createGunzip()) : raw;
  const tar = extract();
  source.on('error', (err) => tar.destroy(err));
  source.pipe(tar as unknown as NodeJS.WritableStream);
  return tar as unknown as AsyncIterable<Readable & { header: Header }>;
}

/** The entry's path inside the container directory, or a reason to refuse it. */
function placeOf(header: Header, directory: string): string {
  const name = header.name.replace(/\/+$/, '');
  if (name.startsWith('/'))
    throw usageError(
      `tarball entry '${header.name}' has an absolute path: make the tarball with relative paths`,
    );
  const parts = name.split('/').filter((p: string) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw usageError(`tarball entry '${header.name}' climbs out with '..': remove it`);
  if (parts[0] !== directory) {
    throw usageError(
      `tarball entry '${header.name}' is outside the directory ${directory}/: put every file in ${directory}/`,
    );
  }
  return parts.slice(1).join('/');
}

function checkLink(header: Header, place: string, directory: string): void {
  const target = header.linkname ?? '';
  if (header.type === 'symlink') {
    const resolved = posix.normalize(posix.join(posix.dirname(place) || '.', target));
    if (target.startsWith('/') || resolved === '..' || resolved.startsWith('../')) {
      throw usageError(
        `tarball link '${header.name}' points outside ${directory}/ (to ${target}): replace it with the file`,
      );
    }
  } else if (header.type === 'link') {
    const parts = target.split('/').filter((p: string) => p !== '' && p !== '.');
    if (target.startsWith('/') || parts.includes('..') || parts[0] !== directory) {
      throw usageError(
        `tarball hard link '${header.name}' points outside ${directory}/ (to ${target}): replace it with the file`,
      );
    }
  }
}

const ALLOWED = new Set(['file', 'directory', 'symlink', 'link', 'contiguous-file']);

/** Read the whole tarball and refuse it with one clear reason, or summarize it. */
export async function checkBuildTarball(
  file: string,
  directory: string,
  limits: ContextLimits,
): Promise<ContextSummary> {
  let files = 0;
  let bytes = 0;
  let dockerfile = false;
  try {
    for await (const entry of await entries(file)) {
      const { header } = entry;
      const place = placeOf(header, directory);
      if (!ALLOWED.has(header.type ?? 'file')) {
        throw usageError(
          `tarball entry '${header.name}' is a ${header.type}: only files, directories and links are built`,
        );
      }
      checkLink(header, place, directory);
      bytes += header.size ?? 0;
      if (bytes > limits.maxBytes) {
        throw usageError(
          `tarball is too large at '${header.name}': over ${Math.round(limits.maxBytes / 1048576)} MB of files (build.maxContextMb)`,
        );
      }
      if (place === 'Dockerfile' && header.type !== 'directory') dockerfile = true;
      if (header.type === 'file' || header.type === 'contiguous-file') files++;
      entry.resume();
    }
  } catch (err) {
    if ((err as { kind?: string }).kind === 'usage') throw err;
    throw usageError(
      `${file} is not a tar archive (or a gzipped one): ${(err as Error).message}`,
      err,
    );
  }
  if (files === 0 && !dockerfile)
    throw usageError(
      `${file} holds no files under ${directory}/: make the tarball from the directory ${directory}`,
    );
  if (!dockerfile) throw usageError(`${file} has no ${directory}/Dockerfile: add one`);
  return { files, bytes };
}

/** The build context: the container directory's entries, rooted at it. Check first. */
export function buildContext(file: string, directory: string): Readable {
  const out = pack();
  void (async () => {
    try {
      for await (const entry of await entries(file)) {
        const { header } = entry;
        const place = placeOf(header, directory);
        if (place === '') {
          entry.resume();
          continue;
        }
        const renamed: Header = { ...header, name: place };
        if (header.type === 'link')
          renamed.linkname = placeOf({ ...header, name: header.linkname ?? '' }, directory);
        await new Promise<void>((resolve, reject) => {
          const done = (err?: Error | null) => (err ? reject(err) : resolve());
          if (header.type === 'file' || header.type === 'contiguous-file') {
            entry.pipe(out.entry(renamed, done) as unknown as NodeJS.WritableStream);
          } else {
            entry.resume();
            out.entry(renamed, done);
          }
        });
      }
      out.finalize();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return Readable.from(out);
}
