// Writes the packages for cloud images as tarballs, dist/packages/micado-ROLE-VERSION.tar.gz,
// each holding ROLE/ as it stands in packages/ (deploy.sh bakes the image, execute.sh
// boots it). The node package is complete; the manager's and the proxy's come with
// their boot scripts.
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-fs';

process.chdir(new URL('..', import.meta.url).pathname);
const ROLES = ['node'];
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

mkdirSync('dist/packages', { recursive: true });
for (const role of ROLES) {
  const file = `dist/packages/micado-${role}-${version}.tar.gz`;
  // Owned by root in the image whoever packs it; modes (executables) kept.
  const source = tar.pack('packages', {
    entries: [role],
    map: (header) => ({ ...header, uid: 0, gid: 0, uname: 'root', gname: 'root' }),
  });
  await pipeline(source, createGzip(), createWriteStream(file));
  console.log(file);
}
