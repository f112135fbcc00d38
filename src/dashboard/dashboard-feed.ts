/**
 * The dashboard's live feed: the state, built again a moment after anything the
 * manager sees changes (a swarm event through the catalog, a write to the store), and
 * pushed to every open page as a Server-Sent Event when it differs from the last. A
 * burst of changes is one push; a quiet cluster pushes nothing but a keep-alive.
 */
import type { ServerResponse } from 'node:http';
import { messageOf } from '../errors.js';
import { dashboardState, type DashboardReading } from './dashboard-state.js';

export interface DashboardInputs {
  read(): Promise<DashboardReading>;
  /** Hear every change worth a new state; returns how to stop hearing them. */
  onChange(listener: () => void): () => void;
}

export interface FeedOptions {
  /** Changes gathered this long are one push. */
  debounceMs?: number;
  /** Usage figures change without an event: the state is read again this often. */
  refreshMs?: number;
  /** A comment line this often keeps proxies from closing a quiet stream. */
  keepAliveMs?: number;
  log: (line: string) => void;
}

export class DashboardFeed {
  private readonly clients = new Set<ServerResponse>();
  private last: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly intervals: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private building: Promise<void> = Promise.resolve();
  private problem: string | undefined;

  constructor(
    private readonly inputs: DashboardInputs,
    private readonly options: FeedOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.inputs.onChange(() => this.changed());
    this.intervals.push(
      setInterval(() => this.changed(), this.options.refreshMs ?? 5_000),
      setInterval(() => this.send(': keep-alive\n\n'), this.options.keepAliveMs ?? 15_000),
    );
  }

  stop(): void {
    this.unsubscribe?.();
    clearTimeout(this.timer);
    for (const interval of this.intervals) clearInterval(interval);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  /** The state as JSON, read now. */
  async state(): Promise<string> {
    return JSON.stringify(dashboardState(await this.inputs.read()));
  }

  /** Open a stream on `response`: the state at once, then every change. */
  async attach(response: ServerResponse): Promise<void> {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // The page reconnects on its own; this is how soon.
      'x-accel-buffering': 'no',
    });
    response.write('retry: 1000\n\n');
    this.clients.add(response);
    response.on('close', () => this.clients.delete(response));
    // Read now: with no page open, changes were not followed.
    const state = await this.state();
    this.last = state;
    response.write(`event: state\ndata: ${state}\n\n`);
  }

  get listeners(): number {
    return this.clients.size;
  }

  /** Something changed: build and push a moment later, once for a burst. */
  changed(): void {
    if (this.timer || this.clients.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.building = this.building.then(() => this.push());
    }, this.options.debounceMs ?? 50);
  }

  private async push(): Promise<void> {
    try {
      const state = await this.state();
      this.problem = undefined;
      if (state === this.last) return;
      this.last = state;
      this.send(`event: state\ndata: ${state}\n\n`);
    } catch (err) {
      const message = `dashboard: reading the state failed: ${messageOf(err)}`;
      if (message !== this.problem) this.options.log(message);
      this.problem = message;
    }
  }

  private send(text: string): void {
    for (const client of this.clients) client.write(text);
  }
}
