/**
 * One run at a time, woken from anywhere: a wake while a run is under way asks for one
 * more run right after it, however many wakes came meanwhile. The autoscaler's cycles,
 * the catalog's reads of the swarm and the Consul registrar's syncs all run so.
 *
 *            wake()                  run ends
 *   idle ─────────────▶ running ─────────────▶ idle
 *                        │  ▲   (woken meanwhile)
 *                        └──┘  one more run
 *   stop(): no more runs; resolves once the run under way has ended.
 *
 * A run reports its own failures (it does not throw). It may answer 'pause': no more
 * runs until the next wake, for a run that failed and set its own retry.
 */
export class WakeLoop {
  private underWay: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly run: () => Promise<'pause' | void>) {}

  /** Run now, or once more right after the run under way. */
  wake(): void {
    if (this.stopped) return;
    if (this.underWay) {
      this.again = true;
      return;
    }
    this.underWay = this.runUntilSettled().finally(() => (this.underWay = undefined));
  }

  /** No more runs; resolves once the run under way has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.underWay;
  }

  private async runUntilSettled(): Promise<void> {
    do {
      this.again = false;
      if ((await this.run()) === 'pause') return;
    } while (this.again && !this.stopped);
  }
}
