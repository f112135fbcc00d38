/** Build-context tarballs for tests, written into a directory of the test's own. */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Header } from 'tar-stream';

export type Entry = Partial<Header> & { name: string; content?: string };

export async function tarball(dir: string, name: string, entries: Entry[]): Promise<string> {
  const file = join(dir, name);
  const tar = pack();
  for (const { content, ...header } of entries) tar.entry(header, content ?? '');
  tar.finalize();
  await pipeline(Readable.from(tar), createWriteStream(file));
  return file;
}
