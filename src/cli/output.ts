/**
 * How commands speak: results on stdout (a table, lines, or JSON with --json),
 * progress on stderr (a spinner, on a terminal only).
 */
import { formatColumns } from './columns.js';

export interface Progress {
  /** Say what is being waited for now. */
  phase(text: string): void;
  /** Stop showing progress (before printing results). */
  done(): void;
}

export interface Output {
  line(text: string): void;
  json(value: unknown): void;
  table(head: string[], rows: (string | number)[][]): void;
  /** Something the user should know that did not stop the command, on stderr. */
  warn(text: string): void;
  progress(first: string): Progress;
}

export class ConsoleOutput implements Output {
  constructor(
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {}

  line(text: string): void {
    this.stdout.write(`${text}\n`);
  }

  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  table(head: string[], rows: (string | number)[][]): void {
    this.line(formatColumns(head, rows));
  }

  warn(text: string): void {
    this.stderr.write(`micado: ${text}\n`);
  }

  progress(first: string): Progress {
    // Off a terminal, progress stays quiet: scripts get results and one-line errors only.
    // A terminal that reports no width (a pty nobody sized) would make the spinner
    // redraw without end: it gets plain lines instead.
    if (this.stderr.isTTY && (this.stderr.columns ?? 0) > 0) return spinner(first, this.stderr);
    if (this.stderr.isTTY) return phaseLines(first, this.stderr);
    return { phase: () => undefined, done: () => undefined };
  }
}

/** Each new phase on a line of its own. */
function phaseLines(first: string, stream: NodeJS.WriteStream): Progress {
  let last = '';
  const say = (text: string) => {
    if (text !== last) stream.write(`${text}\n`);
    last = text;
  };
  say(first);
  return { phase: say, done: () => undefined };
}

/**
 * A spinner, loaded only when one is shown: ora and its dependencies cost every CLI
 * call tens of milliseconds otherwise. Phases said before it loads are kept.
 */
function spinner(first: string, stream: NodeJS.WriteStream): Progress {
  let text = first;
  let stopped = false;
  let instance: { text: string; stop(): void } | undefined;
  void import('ora').then(({ default: ora }) => {
    if (!stopped) instance = ora({ text, stream, discardStdin: false }).start();
  });
  return {
    phase: (next) => {
      text = next;
      if (instance) instance.text = next;
    },
    done: () => {
      stopped = true;
      instance?.stop();
    },
  };
}
