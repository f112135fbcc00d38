/**
 * Cron schedules: node-cron's one home (lint keeps it here). A schedule only triggers;
 * what it runs holds the logic. A run never overlaps the one before: a tick that comes
 * while it runs is skipped, and told.
 */
import { parse, schedule, validate } from 'node-cron';

export interface CronSchedule {
  /** The spacing of its next runs (their median), in ms; undefined for fewer than two. */
  intervalMs: number | undefined;
  /** No more runs; resolves once node-cron has let go of it. */
  stop(): Promise<void>;
}

/** Whether node-cron reads `expression` (5 fields, or 6 with seconds). */
export function isCronExpression(expression: string): boolean {
  return validate(expression);
}

/**
 * Whether `date` (local time, as schedules run) falls in a minute `expression` matches:
 * a window by cron, e.g. '* 8-18 * * 1-5' for weekdays 08:00 to 18:59. As cron, when both
 * the day of the month and the day of the week are restricted, either one matches.
 */
export function inCronWindow(expression: string, date: Date): boolean {
  const fields = parse(expression);
  const everyDay = fields.dayOfMonth.length >= 31;
  const everyWeekday = fields.dayOfWeek.length >= 7;
  const byMonthDay = fields.dayOfMonth.includes(date.getDate());
  const byWeekday = fields.dayOfWeek.includes(date.getDay()) || (date.getDay() === 0 && fields.dayOfWeek.includes(7)); // prettier-ignore
  const day = !everyDay && !everyWeekday ? byMonthDay || byWeekday : byMonthDay && byWeekday;
  return (
    day &&
    fields.minute.includes(date.getMinutes()) &&
    fields.hour.includes(date.getHours()) &&
    fields.month.includes(date.getMonth() + 1)
  );
}

/** Run `run` on `expression` until stopped; `skipped` hears a tick that found it running. */
export function onSchedule(
  expression: string,
  name: string,
  run: () => Promise<void>,
  skipped?: () => void,
): CronSchedule {
  const task = schedule(expression, run, { name, noOverlap: true, logger: QUIET });
  if (skipped) task.on('execution:overlap', skipped);
  return {
    intervalMs: scheduleInterval(task.getNextRuns(11)),
    stop: async () => void (await task.destroy()),
  };
}

/** The spacing of a schedule's next runs (their median): the interval usage is cut to. */
export function scheduleInterval(runs: Date[]): number | undefined {
  const gaps = runs
    .slice(1)
    .map((run, i) => run.getTime() - runs[i]!.getTime())
    .sort((a, b) => a - b);
  return gaps.length === 0 ? undefined : gaps[Math.floor(gaps.length / 2)];
}

/** node-cron's own messages (missed ticks and overlaps) are reported through the callbacks. */
const QUIET = { info() {}, warn() {}, error() {}, debug() {} };
