/** The cheapest new nodes for waiting tasks, against optima worked out by hand. */
import { describe, expect, it } from 'vitest';
import { cheapestNodes, type PricedFlavour } from './cheapest-nodes.js';

const flavour = (name: string, cpus: number, memoryMb: number, pricePerHour: number): PricedFlavour => ({
  name, capacity: { cpuMilli: cpus * 1000, memoryMb }, pricePerHour,
}); // prettier-ignore
const SMALL = flavour('small', 1, 512, 1);
const MEDIUM = flavour('medium', 2, 2048, 3);
const LARGE = flavour('large', 4, 8192, 10);
const tasks = (count: number, memoryMb: number, cpuMilli = 100) =>
  Array.from({ length: count }, () => ({ cpuMilli, memoryMb }));
const chosen = (choice: ReturnType<typeof cheapestNodes>) =>
  choice.nodes.map((n) => `${n.count} ${n.flavour}`).join(' + ');

describe('the cheapest new nodes', () => {
  it.each([
    ['one small task: the smallest flavour', tasks(1, 300), [SMALL, MEDIUM, LARGE], '1 small', 1],
    // 10 small = 10/h, 1 large = 10/h, 2 medium (6 + 4 tasks) = 6/h.
    ['ten 300 MB tasks: two medium, not ten small or one large', tasks(10, 300), [SMALL, MEDIUM, LARGE], '2 medium', 6],
    // 7 tasks: 2 medium = 6/h; 1 medium + 1 small = 4/h (6 + 1).
    ['seven: a medium and a small for the seventh', tasks(7, 300), [SMALL, MEDIUM, LARGE], '1 small + 1 medium', 4],
    // Three 300 MB tasks: 3 small = 3/h, or one medium at 3/h: the same price, fewer nodes.
    ['a tie in price goes to fewer nodes', tasks(3, 300), [SMALL, MEDIUM], '1 medium', 3],
    // CPU-bound: 1.5 CPUs each; only medium and large hold one; 3 tasks: 3 medium = 9/h vs 1 large (4 CPUs: 2 tasks) + 1 medium = 13/h.
    ['CPU-bound tasks, by CPU', tasks(3, 100, 1500), [SMALL, MEDIUM, LARGE], '3 medium', 9],
    ['nothing waiting: nothing to start', [], [SMALL, MEDIUM], '', 0],
  ])('%s', (_, waiting, flavours, expected, price) => {
    const choice = cheapestNodes(waiting, flavours);
    expect(chosen(choice)).toBe(expected);
    expect(choice.pricePerHour).toBe(price);
  }); // prettier-ignore

  it('leaves out a task no flavour can hold, and says why it chose what it chose', () => {
    const choice = cheapestNodes(
      [...tasks(1, 300), { cpuMilli: 100, memoryMb: 16_384 }],
      [SMALL, MEDIUM],
    );
    expect(choice.unplaceable).toEqual([{ cpuMilli: 100, memoryMb: 16_384 }]);
    expect(chosen(choice)).toBe('1 small');
    expect(choice.why).toMatch(
      /^1 small at 1\.00\/h, the cheapest that holds 1 task; .* would cost \d+\.\d\d\/h$/,
    );
  });

  it('never costs more than any one flavour alone, on mixed sizes', () => {
    // A seeded mix of sizes: the choice is no dearer than each flavour's own packing.
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const mixed = Array.from({ length: 200 }, () => ({ cpuMilli: 50 + Math.floor(random() * 900), memoryMb: 32 + Math.floor(random() * 480) })); // prettier-ignore
    const choice = cheapestNodes(mixed, [SMALL, MEDIUM, LARGE]);
    for (const alone of [SMALL, MEDIUM, LARGE])
      expect(choice.pricePerHour).toBeLessThanOrEqual(cheapestNodes(mixed, [alone]).pricePerHour);
    // And it holds every task: no node is asked for past its capacity.
    const capacity = choice.nodes.reduce((sum, n) => sum + n.count * { small: 512, medium: 2048, large: 8192 }[n.flavour as 'small']!, 0); // prettier-ignore
    expect(capacity).toBeGreaterThanOrEqual(mixed.reduce((sum, t) => sum + t.memoryMb, 0));
  });
});
