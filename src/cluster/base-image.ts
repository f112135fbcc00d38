/**
 * The base image, made with no network: a root filesystem holding Debian's static
 * busybox and a link per applet, imported into the manager's engine and pushed to the
 * private registry so every node can pull it.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { pack } from 'tar-stream';
import { Readable } from 'node:stream';
import { hostError } from '../errors.js';
import { isStaticExecutable } from '../host/elf.js';

export const BUSYBOX = '/bin/busybox';

/** The rootfs as a tar stream. */
export function baseRootfs(busyboxPath = BUSYBOX): Readable {
  const busybox = readFileSync(busyboxPath);
  if (!isStaticExecutable(busybox)) {
    throw hostError(`${busyboxPath} is not statically linked: apt-get install busybox-static`);
  }
  const applets = execFileSync(busyboxPath, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => /^[a-z0-9_.[-]+$/.test(name) && name !== 'busybox');
  const tar = pack();
  for (const dir of ['bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev']) {
    tar.entry({ name: dir, type: 'directory', mode: dir === 'tmp' ? 0o1777 : 0o755 });
  }
  tar.entry({ name: 'bin/busybox', mode: 0o755 }, busybox);
  for (const applet of applets) {
    tar.entry({ name: `bin/${applet}`, type: 'symlink', linkname: 'busybox' });
  }
  tar.entry(
    { name: 'etc/passwd', mode: 0o644 },
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  tar.entry({ name: 'etc/group', mode: 0o644 }, 'root:x:0:\nnogroup:x:65534:\n');
  tar.finalize();
  // tar-stream is built on streamx; dockerode wants a Node stream.
  return Readable.from(tar);
}
