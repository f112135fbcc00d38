import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tryLock } from './file-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'micado-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('file lock', () => {
  it('lets one process at a time in: eight processes adding to a count by read and write lose nothing', async () => {
    const count = join(dir, 'count');
    writeFileSync(count, '0');
    const worker = join(dir, 'worker.mts');
    // Read, yield, write: without the lock, two processes overwrite each other's add.
    writeFileSync(
      worker,
      `import { readFileSync, writeFileSync } from 'node:fs';
import { withLock } from ${JSON.stringify(join(import.meta.dirname, 'file-lock.ts'))};
for (let i = 0; i < 25; i++)
  await withLock(${JSON.stringify(join(dir, 'lock'))}, 30_000, async () => {
    const n = Number(readFileSync(${JSON.stringify(count)}, 'utf8'));
    await new Promise((r) => setImmediate(r));
    writeFileSync(${JSON.stringify(count)}, String(n + 1));
  });
`,
    );
    await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<void>((resolve, reject) =>
            execFile('node', ['--import', 'tsx', worker], (error) =>
              error ? reject(error) : resolve(),
            ),
          ),
      ),
    );
    expect(Number(readFileSync(count, 'utf8'))).toBe(200);
  }, 60_000);

  it("takes over a dead holder's lock, never a live one's", () => {
    const file = join(dir, 'stale');
    writeFileSync(file, '999999999');
    const release = tryLock(file);
    expect(typeof release).toBe('function');
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    (release as () => void)();
    writeFileSync(file, '1'); // init: alive
    expect(tryLock(file)).toBe(1);
  });
});
