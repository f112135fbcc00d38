/**
 * One error type for everything micado reports, tagged with where it came from.
 * The CLI prints `message` as one line and, under --verbose, the cause chain.
 */
export type ErrorKind =
  | 'usage' // the user's input is wrong: exit 2
  | 'config' // configuration files or values are wrong
  | 'conflict' // well-formed, but the cluster's state does not allow it (taken, missing, running)
  | 'host' // the host lacks something (root, a package, a kernel feature, a free address)
  | 'docker' // the engine refused or failed
  | 'cloud' // a cloud driver failed
  | 'transient' // worth retrying later; never stops the manager
  | 'internal'; // a bug in micado

export class MicadoError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'MicadoError';
  }
}

export const usageError = (message: string, cause?: unknown) =>
  new MicadoError('usage', message, { cause });
export const hostError = (message: string, cause?: unknown) =>
  new MicadoError('host', message, { cause });
export const dockerError = (message: string, cause?: unknown) =>
  new MicadoError('docker', message, { cause });
export const conflictError = (message: string, cause?: unknown) =>
  new MicadoError('conflict', message, { cause });
export const configError = (message: string, cause?: unknown) =>
  new MicadoError('config', message, { cause });

/** The message of anything thrown, for wrapping into a line of our own. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Every message down the cause chain, outermost first (for --verbose). */
export function causeChain(err: unknown): string[] {
  const lines: string[] = [];
  let current: unknown = err;
  while (current !== undefined && lines.length < 10) {
    lines.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines;
}

/** Exit code for an error reaching the top: 2 when the user's input (flags, config) is wrong, 1 otherwise. */
export function exitCodeOf(err: unknown): number {
  return err instanceof MicadoError && (err.kind === 'usage' || err.kind === 'config') ? 2 : 1;
}
