/**
 * A store that says when it was written: the same store, each write method followed by
 * `changed()`. The manager hands it to the autoscaler, provisioner and monitor, so the
 * dashboard hears of an event, an intent or a refresh as it is recorded.
 */
import type { Store } from '../store/store.js';

const WRITES = new Set<string>([
  'writeRefresh', 'putInstance', 'putContainer', 'putImagePolicy', 'removeImagePolicy',
  'recordEvent', 'addIntent', 'updateIntent',
] satisfies (keyof Store)[]); // prettier-ignore

export function storeWithChanges(store: Store, changed: () => void): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      if (typeof name !== 'string' || !WRITES.has(name)) return value.bind(target);
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args);
        changed();
        return result;
      };
    },
  });
}
