import { describe, expect, it } from 'vitest';
import { parseSince } from './monitor-actions.js';

describe('parseSince', () => {
  const now = Date.UTC(2026, 10, 22, 12);
  it.each([
    ['30s', now - 30_000],
    ['10m', now - 600_000],
    ['2h', now - 7_200_000],
    ['7d', now - 7 * 86_400_000],
    ['2026-11-22T10:00:00Z', Date.UTC(2026, 10, 22, 10)],
    ['2026-11-21', Date.UTC(2026, 10, 21)],
  ])('reads %s', (value, expected) => expect(parseSince(value, now)).toBe(expected));
  it.each(['yesterday', '10', '-5m', '2026-13-45', '5w'])('refuses %s', (value) =>
    expect(() => parseSince(value, now)).toThrow(/^invalid --since/),
  );
});
