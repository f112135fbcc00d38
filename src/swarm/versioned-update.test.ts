import { describe, expect, it } from 'vitest';
import { isOutOfSequence, versionedUpdate } from './versioned-update.js';

/** An object kept at a version, refusing writes at any other, as Swarm's store does. */
class VersionedObject {
  version = 1;
  labels: Record<string, string> = {};
  writes = 0;
  async read() {
    await Promise.resolve();
    return { version: this.version, spec: { labels: { ...this.labels } } };
  }
  async write(version: number, spec: { labels: Record<string, string> }) {
    await Promise.resolve();
    this.writes++;
    if (version !== this.version) {
      throw Object.assign(new Error('(HTTP code 500) server error'), {
        json: { message: 'rpc error: code = Unknown desc = update out of sequence' },
      });
    }
    this.version++;
    this.labels = spec.labels;
  }
}

const update = (object: VersionedObject, key: string) =>
  versionedUpdate(
    () => object.read(),
    (spec) => ({ labels: { ...spec.labels, [key]: 'yes' } }),
    (version, spec) => object.write(version, spec),
    { maxPauseMs: 5 },
  );

describe('versionedUpdate', () => {
  it('lands every concurrent writer: a lost race is read again and re-applied', async () => {
    const object = new VersionedObject();
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((key) => update(object, key)));
    expect(object.labels).toEqual({ a: 'yes', b: 'yes', c: 'yes', d: 'yes', e: 'yes' });
    expect(object.writes).toBeGreaterThan(5);
  });

  it('gives up after its attempts, with the engine error', async () => {
    let writes = 0;
    const always = versionedUpdate(
      async () => ({ version: 1, spec: {} }),
      (spec) => spec,
      async () => {
        writes++;
        throw Object.assign(new Error('x'), { json: { message: 'update out of sequence' } });
      },
      { attempts: 3, maxPauseMs: 1 },
    );
    await expect(always).rejects.toThrow('x');
    expect(writes).toBe(3);
  });

  it('does not repeat a write the engine refused for another reason', async () => {
    let writes = 0;
    const refused = versionedUpdate(
      async () => ({ version: 1, spec: {} }),
      (spec) => spec,
      async () => {
        writes++;
        throw Object.assign(new Error('(HTTP code 400) bad parameter'), {
          json: { message: 'invalid label' },
        });
      },
    );
    await expect(refused).rejects.toThrow('bad parameter');
    expect(writes).toBe(1);
  });

  it('recognises the race in a wrapped error too', () => {
    const inner = new Error('rpc error: code = Unknown desc = update out of sequence');
    expect(isOutOfSequence(new Error('update node n1', { cause: inner }))).toBe(true);
    expect(isOutOfSequence(new Error('node not found'))).toBe(false);
  });
});
