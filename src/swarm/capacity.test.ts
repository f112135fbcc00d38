import { describe, expect, it } from 'vitest';
import {
  amountOf,
  fits,
  flavourAmount,
  freeRoom,
  largestFirst,
  resourcesOf,
  sumOf,
  take,
} from './capacity.js';

describe('capacity', () => {
  it('turns generic resources into amounts and back', () => {
    expect(amountOf({ 'micado.cpu_milli': 500, 'micado.mem_mb': 256 })).toEqual({
      cpuMilli: 500,
      memoryMb: 256,
    });
    expect(amountOf({})).toEqual({ cpuMilli: 0, memoryMb: 0 });
    expect(resourcesOf(flavourAmount({ cpus: 1.5, memoryMb: 512 }))).toEqual({
      'micado.cpu_milli': 1500,
      'micado.mem_mb': 512,
    });
  });

  it.each([
    [{ cpuMilli: 100, memoryMb: 200 }, true],
    [{ cpuMilli: 800, memoryMb: 212 }, true],
    [{ cpuMilli: 801, memoryMb: 100 }, false],
    [{ cpuMilli: 100, memoryMb: 213 }, false],
  ])('fits %j in 800m and 212 MB free: %s', (demand, expected) => {
    const free = freeRoom({ cpuMilli: 1000, memoryMb: 512 }, { cpuMilli: 200, memoryMb: 300 });
    expect(fits(free, demand)).toBe(expected);
  });

  it('takes demand out of free room, sums, and orders largest first', () => {
    const free = { cpuMilli: 1000, memoryMb: 512 };
    take(free, { cpuMilli: 100, memoryMb: 300 });
    expect(free).toEqual({ cpuMilli: 900, memoryMb: 212 });
    const tasks = [
      { cpuMilli: 100, memoryMb: 64 },
      { cpuMilli: 200, memoryMb: 300 },
      { cpuMilli: 500, memoryMb: 64 },
    ];
    expect([...tasks].sort(largestFirst)).toEqual([tasks[1], tasks[2], tasks[0]]);
    expect(sumOf(tasks)).toEqual({ cpuMilli: 800, memoryMb: 428 });
  });
});
