/**
 * When the autoscaler thinks: one cycle at a time (a WakeLoop), woken by the manager's
 * service and node events, by follow-ups after a service event, by a tick for what no
 * event shows, and by work of its own that ended (a node start, a give-back).
 *
 * A failed cycle is reported and the next one tried: nothing stops the manager.
 */
import { messageOf } from '../errors.js';
import { WakeLoop } from '../wake-loop.js';
import type { OrchestratorSwarm } from '../swarm/index.js';

export interface ReconcileLoopDeps {
  /** Where events come from (the manager's engine). */
  events: Pick<OrchestratorSwarm, 'events'>;
  /** One cycle; `now` is the loop's clock at its start. */
  cycle: (now: number) => Promise<void>;
  now: () => number;
  scanIntervalMs: number;
  log: (line: string) => void;
  /** Hears each cycle's outcome and how long it took. */
  observe?: (seconds: number, error: string | undefined) => void;
}

/** Swarm decides a new task's fate a moment after the service event: look again then. */
const FOLLOW_UPS_MS = [300, 1500];
/** A lost event stream is listened to again after this pause. */
const RELISTEN_MS = 1000;

export class ReconcileLoop {
  lastCycleOk = 0;
  lastError: string | undefined;
  private readonly abort = new AbortController();
  private timers: NodeJS.Timeout[] = [];
  private readonly cycles = new WakeLoop(() => this.cycle());
  private running = false;

  constructor(private readonly deps: ReconcileLoopDeps) {}

  /** Listen to events, tick, and run a first cycle. */
  start(): void {
    this.running = true;
    void this.listen();
    this.timers.push(setInterval(() => this.wake(), this.deps.scanIntervalMs));
    this.wake();
  }

  /** No more wakes; resolves once the cycle under way has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    await this.cycles.stop();
  }

  /** Run a cycle now, or right after the one under way (once started). */
  wake(): void {
    if (this.running && !this.abort.signal.aborted) this.cycles.wake();
  }

  private async cycle(): Promise<void> {
    const started = performance.now();
    try {
      await this.deps.cycle(this.deps.now());
      this.lastCycleOk = this.deps.now();
      this.lastError = undefined;
    } catch (err) {
      this.lastError = messageOf(err);
      this.deps.log(`cycle failed: ${this.lastError}`);
    }
    this.deps.observe?.((performance.now() - started) / 1000, this.lastError);
  }

  private async listen(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        for await (const event of this.deps.events.events({ type: ['service', 'node'] }, signal)) {
          this.wake();
          if (event.type === 'service') for (const delay of FOLLOW_UPS_MS) this.later(delay);
        }
      } catch (err) {
        if (signal.aborted) return;
        this.deps.log(`event stream lost (${messageOf(err)}): listening again`);
      }
      await new Promise((r) => setTimeout(r, RELISTEN_MS));
    }
  }

  private later(delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers = this.timers.filter((t) => t !== timer);
      this.wake();
    }, delayMs);
    this.timers.push(timer);
  }
}
