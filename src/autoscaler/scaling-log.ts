/**
 * What the autoscaler says: each decision and outcome as a log line and an event in the
 * store (an event that cannot be stored costs a log line, never the cycle). Under
 * dry-run a decision is said once, marked as not done; a change held back is said once,
 * not at every cycle.
 */
import { messageOf } from '../errors.js';
import type { Store } from '../store/store.js';

/** How many said-once lines are remembered before they may be said again. */
const REMEMBERED = 1000;

export class ScalingLog {
  private dryRunSaid = new Set<string>();
  private readonly saidOnce = new Set<string>();

  constructor(
    private readonly deps: {
      store: Pick<Store, 'recordEvent'>;
      log: (line: string) => void;
      now: () => number;
    },
  ) {}

  async record(action: string, subject: string, message: string): Promise<void> {
    this.deps.log(`${action} ${subject}: ${message}`);
    await this.deps.store
      .recordEvent({ at: this.deps.now(), actor: 'manager', action, subject, message })
      .catch((err: unknown) => this.deps.log(`the event was not recorded: ${messageOf(err)}`));
  }

  /** A decision dry-run does not carry out: recorded once while it stays the same. */
  async dryRun(action: string, subject: string, message: string): Promise<void> {
    const key = `${action}|${subject}|${message}`;
    if (this.dryRunSaid.has(key)) return;
    this.dryRunSaid.add(key);
    if (this.dryRunSaid.size > REMEMBERED) this.dryRunSaid = new Set([key]);
    await this.record(action, subject, `dry run, not done: ${message}`);
  }

  /** Recorded once, not at every cycle it stays true. */
  once(action: string, subject: string, message: string): void {
    const key = `${action}|${subject}|${message}`;
    if (this.saidOnce.has(key)) return;
    if (this.saidOnce.size > REMEMBERED) this.saidOnce.clear();
    this.saidOnce.add(key);
    void this.record(action, subject, message);
  }
}
