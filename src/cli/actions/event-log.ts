/**
 * What the CLI records in the events log. A command that did its work is not failed
 * for want of its event: an unreachable store costs a warning, not the result.
 */
import { userInfo } from 'node:os';
import { messageOf } from '../../errors.js';
import { openStore } from '../../store/open-store.js';
import type { EventRecord, Store } from '../../store/store.js';
import type { CommandContext } from '../context.js';

export async function logEvent(
  { config, output }: CommandContext,
  event: Pick<EventRecord, 'action' | 'subject' | 'message'>,
): Promise<void> {
  let store: Store | undefined;
  try {
    store = await openStore(config);
    await store.recordEvent({ at: Date.now(), actor: `cli:${whoAmI()}`, ...event });
  } catch (err) {
    output.warn(`the ${event.action} was not recorded in the events log: ${messageOf(err)}`);
  } finally {
    await store?.close().catch(() => undefined);
  }
}

function whoAmI(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '?');
  }
}
