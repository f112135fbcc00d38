/**
 * What the manager's own disruptions leave to remember, in one place: when it last
 * changed the cluster (consolidation waits consolidateAfterMs after that), the
 * replacements Ready whose old nodes are still to be handed over (nothing else is
 * disrupted meanwhile), and the task slots it moved, kept in the store so that
 * minTaskStayHours holds across restarts.
 */
import type { ProvisioningIntent, Store } from '../store/store.js';

interface HandOver {
  intent: ProvisioningIntent;
  hostname: string;
}

export class Disruptions {
  private lastChange = -Infinity;
  /** By intent id: due until their old nodes are queued to be given back. */
  private readonly handOvers = new Map<string, HandOver>();
  private readonly handingOverNow = new Set<string>();
  /** Hand-overs that failed at least once (said once, not at every try). */
  private readonly failedOnce = new Set<string>();
  private readonly movedAt = new Map<string, number>();

  constructor(private readonly store: Pick<Store, 'recordMoves' | 'movesSince'>) {}

  /** The manager changed the cluster (started, joined or gave back a node). */
  changed(now: number): void {
    this.lastChange = now;
  }

  /** How long the cluster has been left alone. */
  quietFor(now: number): number {
    return now - this.lastChange;
  }

  /** A replacement is Ready: the nodes it replaces are to be handed over. */
  handOverDue(intent: ProvisioningIntent, hostname: string): void {
    this.handOvers.set(intent.id, { intent, hostname });
  }

  /** A replacement waits for its hand-over: no other disruption until it is done. */
  get handingOver(): boolean {
    return this.handOvers.size > 0;
  }

  /**
   * Hand over each replacement due (one not already being handed over): done, it is no
   * longer due; failed, it is tried again at the next call (`failed` hears the first
   * failure of each).
   */
  async handOverEach(
    handOver: (intent: ProvisioningIntent, hostname: string) => Promise<void>,
    failed: (intent: ProvisioningIntent, err: unknown) => Promise<unknown>,
  ): Promise<void> {
    for (const [id, due] of [...this.handOvers]) {
      if (this.handingOverNow.has(id)) continue;
      this.handingOverNow.add(id);
      try {
        await handOver(due.intent, due.hostname);
        this.handOvers.delete(id);
        this.failedOnce.delete(id);
      } catch (err) {
        if (!this.failedOnce.has(id)) await failed(due.intent, err);
        this.failedOnce.add(id);
      } finally {
        this.handingOverNow.delete(id);
      }
    }
  }

  /** The moves recorded within `stayMs` of `now`, as a restarted manager starts. */
  async load(now: number, stayMs: number): Promise<void> {
    for (const move of await this.store.movesSince(now - stayMs))
      this.movedAt.set(move.slot, move.at);
  }

  /** These tasks are about to move: remembered here and in the store before they do. */
  async moved(tasks: { slot?: string }[], now: number): Promise<void> {
    const slots = tasks.flatMap((t) => (t.slot ? [t.slot] : []));
    for (const slot of slots) this.movedAt.set(slot, now);
    await this.store.recordMoves(slots, now);
  }

  /** The slots moved within `stayMs` of `now` (older ones forgotten), with when. */
  recentMoves(now: number, stayMs: number): ReadonlyMap<string, number> {
    for (const [slot, at] of this.movedAt) if (now - at >= stayMs) this.movedAt.delete(slot);
    return this.movedAt;
  }
}
