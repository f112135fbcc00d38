/**
 * dockerd unmounts its layers on a clean exit, but not when it is killed. Before a
 * node's directory is removed, whatever is still mounted below it is unmounted.
 */
import { readFileSync } from 'node:fs';
import { runCommand } from './run-command.js';
import { hostError } from '../errors.js';

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map(unescapeMountPoint)
    .filter((point) => point === dir || point.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPoint(point: string): string {
  return point.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

export async function unmountAllUnder(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) {
    // Lazy: a busy mount is detached now and freed when its last user goes. A point
    // that vanished with its parent is fine; what is still there is reported below.
    await runCommand(['umount', '--lazy', point]).catch(() => undefined);
  }
  const left = mountsUnder(dir);
  if (left.length > 0) throw hostError(`could not unmount ${left.join(', ')}`);
}
