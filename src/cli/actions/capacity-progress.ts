/**
 * What launch shows while its container waits for room: the manager's provisioning
 * ledger says which node is being started for it and when it joined, and its events
 * say when no pool could ever hold the container (then launch stops waiting).
 */
import type { MicadoConfig } from '../../config/config.js';
import { conflictError } from '../../errors.js';
import { openExistingStore } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import { scalingProgress } from '../../autoscaler/scaling-progress.js';

const READ_EVERY_MS = 250;

export class CapacityProgress {
  private note: string | undefined;
  private unplaceable: string | undefined;
  private lastRead = 0;
  private reading: Promise<void> | undefined;
  private store: Store | undefined | null = null;
  /** Nodes seen starting for this wait, to say which joined once it ends. */
  private starting: { instance: string; pool: string }[] = [];
  private toldJoined = false;

  constructor(
    private readonly config: MicadoConfig,
    private readonly container: string,
    private readonly since: number,
  ) {}

  /** The phase to show for `phase`; throws once the manager said no pool fits. */
  describe(phase: string): string {
    if (this.unplaceable) throw conflictError(this.unplaceable);
    if (!phase.startsWith('waiting for capacity')) {
      if (this.starting.length === 0 || this.toldJoined) return phase;
      this.toldJoined = true;
      const joined = this.starting.map((s) => `${s.instance} of pool ${s.pool}`).join(', ');
      return `node ${joined} joined: ${phase}`;
    }
    if (Date.now() - this.lastRead >= READ_EVERY_MS && !this.reading) {
      this.lastRead = Date.now();
      this.reading = this.read()
        .catch(() => undefined)
        .finally(() => (this.reading = undefined));
    }
    return this.note ?? phase;
  }

  async close(): Promise<void> {
    await this.reading;
    await this.store?.close().catch(() => undefined);
  }

  private async read(): Promise<void> {
    if (this.store === null) this.store = await openExistingStore(this.config);
    if (!this.store) return;
    const { starting, joined, unplaceable } = await scalingProgress(
      this.store,
      this.container,
      this.since,
    );
    if (unplaceable) this.unplaceable = `${unplaceable}: see micado events`;
    for (const node of starting) {
      if (!this.starting.some((s) => s.instance === node.instance)) this.starting.push(node);
    }
    if (starting.length > 0) {
      const pools = [...new Set(starting.map((i) => i.pool))].join(', ');
      this.note = `waiting for capacity: starting ${starting.length === 1 ? 'a node' : `${starting.length} nodes`} in pool ${pools}`;
    } else if (joined) {
      this.note = `node ${joined.instance} joined pool ${joined.pool}: placing the container`;
    }
  }
}
