import { describe, expect, it } from 'vitest';
import { WakeLoop } from './wake-loop.js';

/** A run that waits until the test lets it end. */
function gatedRuns(answer: 'pause' | void = undefined) {
  const gates: (() => void)[] = [];
  let runs = 0;
  const loop = new WakeLoop(async () => {
    runs++;
    await new Promise<void>((resolve) => gates.push(resolve));
    return answer;
  });
  const release = async () => {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { loop, release, runs: () => runs };
}

describe('the wake loop', () => {
  it('runs once per wake when idle, and once more for any number of wakes during a run', async () => {
    const { loop, release, runs } = gatedRuns();
    loop.wake();
    expect(runs()).toBe(1);
    for (let i = 0; i < 5; i++) loop.wake();
    expect(runs()).toBe(1);
    await release();
    expect(runs()).toBe(2);
    await release();
    expect(runs()).toBe(2);
    loop.wake();
    expect(runs()).toBe(3);
    await release();
  });

  it('stops repeating on pause until the next wake', async () => {
    const { loop, release, runs } = gatedRuns('pause');
    loop.wake();
    loop.wake();
    await release();
    expect(runs()).toBe(1);
    loop.wake();
    expect(runs()).toBe(2);
    await release();
  });

  it('stops: the run under way ends, no wake runs again', async () => {
    const { loop, release, runs } = gatedRuns();
    loop.wake();
    loop.wake();
    const stopped = loop.stop();
    await release();
    await stopped;
    loop.wake();
    expect(runs()).toBe(1);
  });
});
