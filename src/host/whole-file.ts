/** Files other processes may read the moment they exist. */
import { randomBytes } from 'node:crypto';
import { linkSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Make `file` (mode 600) holding `content` unless it exists, so that no reader ever
 * sees it empty: written whole under a name of its own, then linked into place (a link
 * fails if another process made the file first; theirs counts).
 */
export function createWhole(file: string, content: string): void {
  const scratch = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(scratch, content, { mode: 0o600 });
  try {
    linkSync(scratch, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(scratch, { force: true });
  }
}
