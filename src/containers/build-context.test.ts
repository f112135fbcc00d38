import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { extract, pack, type Header } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { buildContext, checkBuildTarball } from './build-context.js';

const DIR = 'container-app';
const LIMITS = { maxBytes: 1024 * 1024 };

type Entry = Partial<Header> & { name: string; content?: string };

const work = mkdtempSync(join(tmpdir(), 'micado-build-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let made = 0;

async function tarball(items: Entry[], gzip = false): Promise<string> {
  const file = join(work, `ctx${made++}.tar${gzip ? '.gz' : ''}`);
  const tar = pack();
  for (const { content, ...header } of items) tar.entry(header, content ?? '');
  tar.finalize();
  const source = Readable.from(tar);
  await (gzip
    ? pipeline(source, createGzip(), createWriteStream(file))
    : pipeline(source, createWriteStream(file)));
  return file;
}

const good: Entry[] = [
  { name: `${DIR}/`, type: 'directory' },
  { name: `${DIR}/Dockerfile`, content: 'FROM base\nCOPY app.sh /app.sh\n' },
  { name: `${DIR}/app.sh`, content: 'echo hi\n', mode: 0o755 },
  { name: `${DIR}/lib/`, type: 'directory' },
  { name: `${DIR}/lib/link.sh`, type: 'symlink', linkname: '../app.sh' },
];

describe('build tarball checks', () => {
  it.each([false, true])('accepts a well-formed tarball (gzip: %s)', async (gzip) => {
    expect(await checkBuildTarball(await tarball(good, gzip), DIR, LIMITS)).toEqual({
      files: 2,
      bytes: 38,
    });
  });

  it.each([
    ['an absolute path', [...good, { name: '/etc/passwd', content: 'x' }], /absolute path/],
    [
      'a .. component',
      [...good, { name: `${DIR}/../evil`, content: 'x' }],
      /climbs out with '\.\.'/,
    ],
    [
      'an entry outside the directory',
      [...good, { name: 'other/file', content: 'x' }],
      /outside the directory container-app\//,
    ],
    [
      'a symlink leading out',
      [...good, { name: `${DIR}/out`, type: 'symlink', linkname: '../../etc/passwd' }],
      /points outside/,
    ],
    [
      'an absolute symlink',
      [...good, { name: `${DIR}/abs`, type: 'symlink', linkname: '/etc/passwd' }],
      /points outside/,
    ],
    [
      'a hard link leading out',
      [...good, { name: `${DIR}/hl`, type: 'link', linkname: 'other/file' }],
      /hard link .* points outside/,
    ],
    [
      'a device file',
      [...good, { name: `${DIR}/dev`, type: 'character-device', devmajor: 1, devminor: 3 }],
      /is a character-device/,
    ],
    [
      'no Dockerfile',
      good.filter((e) => !e.name.endsWith('Dockerfile')),
      /has no container-app\/Dockerfile/,
    ],
    [
      'a file too large',
      [...good, { name: `${DIR}/big`, content: 'x'.repeat(1024 * 1024) }],
      /too large at 'container-app\/big'/,
    ],
  ] as [string, Entry[], RegExp][])('refuses %s', async (_, items, message) => {
    await expect(checkBuildTarball(await tarball(items), DIR, LIMITS)).rejects.toThrow(message);
  });

  it('refuses a file that is not a tar', async () => {
    const file = join(work, 'notes.txt');
    writeFileSync(file, 'just some text, not an archive at all\n'.repeat(20));
    await expect(checkBuildTarball(file, DIR, LIMITS)).rejects.toThrow(/is not a tar archive/);
  });

  it('roots the build context at the container directory', async () => {
    const names: string[] = [];
    const contents: Record<string, string> = {};
    const reader = extract();
    buildContext(await tarball(good, true), DIR).pipe(reader as unknown as NodeJS.WritableStream);
    for await (const entry of reader as unknown as AsyncIterable<Readable & { header: Header }>) {
      names.push(entry.header.name);
      let text = '';
      for await (const chunk of entry) text += chunk.toString();
      contents[entry.header.name] = text;
    }
    expect(names).toEqual(['Dockerfile', 'app.sh', 'lib', 'lib/link.sh']);
    expect(contents['app.sh']).toBe('echo hi\n');
  });
});
