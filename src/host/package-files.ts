/**
 * The packages' own files (packages/ROLE/…), as shipped beside micado: from a checkout,
 * a bundle in dist/, or an installed tarball, they are found by walking up from here.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostError } from '../errors.js';

export function packageFile(role: 'manager' | 'node' | 'proxy', file: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'packages', role, file);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw hostError(`packages/${role}/${file} is not installed beside micado: reinstall it`);
    }
    dir = parent;
  }
}
