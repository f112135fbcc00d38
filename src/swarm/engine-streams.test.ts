import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Demultiplexer, followProgress, jsonLines } from './engine-streams.js';

const frame = (kind: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('engine streams', () => {
  it('splits JSON lines across chunk boundaries', async () => {
    const items: unknown[] = [];
    for await (const item of jsonLines(Readable.from(['{"a":', '1}\n{"b"', ':2}\n', '{"c":3}'])))
      items.push(item);
    expect(items).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });

  it('turns an error line of a 200 answer into a thrown error', async () => {
    const stream = Readable.from([
      '{"status":"Pushing"}\n',
      '{"errorDetail":{"message":"denied"},"error":"denied"}\n',
    ]);
    await expect(followProgress(stream, 'push x')).rejects.toThrow('push x failed: denied');
  });

  it('separates stdout and stderr frames, even split mid-frame', async () => {
    const bytes = Buffer.concat([frame(1, 'out1 '), frame(2, 'err'), frame(1, 'out2')]);
    const stderr: string[] = [];
    const demux = new Demultiplexer((chunk) => stderr.push(chunk.toString()));
    Readable.from([bytes.subarray(0, 5), bytes.subarray(5, 17), bytes.subarray(17)]).pipe(demux);
    let stdout = '';
    for await (const chunk of demux) stdout += chunk.toString();
    expect(stdout).toBe('out1 out2');
    expect(stderr.join('')).toBe('err');
  });
});
