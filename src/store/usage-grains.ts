/**
 * Usage is kept at two grains: each row is added to its hour and to its UTC day. A
 * window is read from the days wholly inside it and the hours at its two ends, so a
 * report over a year reads a row per owner and day, not one per hour.
 */
import type { UsageRow } from './store.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export type UsageGrain = 'hour' | 'day';

/** The start of the day a row's hour falls in. */
export function dayOf(hour: number): number {
  return Math.floor(hour / DAY_MS) * DAY_MS;
}

/**
 * The whole days of [since, until): read from daily rows; the hours before and after
 * them from hourly rows. With no whole day, both ends are `until` (all hours).
 */
export function wholeDays(since: number, until: number): { from: number; to: number } {
  const from = Math.ceil(since / DAY_MS) * DAY_MS;
  const to = Math.floor(until / DAY_MS) * DAY_MS;
  return from < to ? { from, to } : { from: until, to: until };
}

/** A row and the same figures on its day's row. */
export function atBothGrains(row: UsageRow): { grain: UsageGrain; start: number; row: UsageRow }[] {
  return [
    { grain: 'hour', start: row.hour, row },
    { grain: 'day', start: dayOf(row.hour), row },
  ];
}
