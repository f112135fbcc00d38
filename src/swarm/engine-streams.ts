/**
 * The Engine API's streaming answers: newline-delimited JSON (events, build and push
 * progress) and the 8-byte-framed stdout/stderr multiplexing of logs and exec.
 */
import { Transform, type Readable } from 'node:stream';
import { dockerError } from '../errors.js';
import type { BuildProgress } from './swarm-client.js';

/** Each JSON object of a newline-delimited stream, as it arrives. */
export async function* jsonLines(stream: Readable): AsyncGenerator<unknown> {
  let pending = '';
  for await (const chunk of stream) {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (pending.trim()) yield JSON.parse(pending);
}

/**
 * Read a progress stream to its end. The engine reports a failed build or push inside
 * a 200 answer, as an `error` line; that becomes a thrown error here.
 */
export async function followProgress(
  stream: Readable,
  what: string,
  onProgress?: (p: BuildProgress) => void,
): Promise<void> {
  for await (const item of jsonLines(stream)) {
    const line = item as { error?: string; errorDetail?: { message?: string } } & BuildProgress;
    if (line.error || line.errorDetail) {
      throw dockerError(`${what} failed: ${line.errorDetail?.message ?? line.error}`);
    }
    onProgress?.(line);
  }
}

/** Frames of a multiplexed stream: stream 1 is stdout, 2 is stderr. */
export class Demultiplexer extends Transform {
  private buffered = Buffer.alloc(0);

  constructor(private readonly onStderr?: (chunk: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 8) {
      const size = this.buffered.readUInt32BE(4);
      if (this.buffered.length < 8 + size) break;
      const kind = this.buffered[0];
      const payload = this.buffered.subarray(8, 8 + size);
      if (kind === 2 && this.onStderr) this.onStderr(payload);
      else this.push(payload);
      this.buffered = this.buffered.subarray(8 + size);
    }
    done();
  }
}
