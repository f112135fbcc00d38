/**
 * Names as people type them: flavours, clouds and applications are matched exactly,
 * else without regard to case when only one name matches (the manual writes `-f Small`
 * for the flavour cloudsetup.xml calls `small`). Anything else is one clear refusal.
 */
import { usageError } from '../errors.js';

/** The known name `typed` means; throws naming the choices when there is none, or two. */
export function resolveName(what: string, typed: string, known: readonly string[]): string {
  if (known.includes(typed)) return typed;
  const folded = typed.toLowerCase();
  const matches = known.filter((name) => name.toLowerCase() === folded);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw usageError(`${what} '${typed}' is ambiguous: use one of ${matches.join(', ')} exactly`);
  }
  throw usageError(`unknown ${what} '${typed}': use one of ${known.join(', ') || 'none'}`);
}
