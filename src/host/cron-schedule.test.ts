/** Cron windows: the minutes an expression matches, as quiet hours are read. */
import { describe, expect, it } from 'vitest';
import { inCronWindow } from './cron-schedule.js';

describe('inCronWindow', () => {
  // 2026-12-04 is a Friday; local time, as schedules run.
  const at = (day: number, hour: number, minute: number) => new Date(2026, 11, day, hour, minute);
  it.each([
    ['* 8-18 * * 1-5', at(4, 8, 0), true],
    ['* 8-18 * * 1-5', at(4, 18, 59), true],
    ['* 8-18 * * 1-5', at(4, 19, 0), false],
    ['* 8-18 * * 1-5', at(5, 12, 0), false],
    ['0-29 22 * * *', at(6, 22, 29), true],
    ['0-29 22 * * *', at(6, 22, 30), false],
    // Both days restricted: either matches (the 1st of the month, or a Sunday).
    ['* * 1 * 0', at(6, 3, 0), true],
    ['* * 1 * 0', at(1, 3, 0), true],
    ['* * 1 * 0', at(2, 3, 0), false],
    ['* * * * 7', at(6, 3, 0), true],
  ])('%s at %s: %s', (expression, date, quiet) => {
    expect(inCronWindow(expression, date)).toBe(quiet);
  });
});
