import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import type { Actions } from './actions/actions.js';
import type { CommandContext } from './context.js';
import type { Output } from './output.js';
import { buildProgram } from './program.js';

/** A recording fake of every action: the test checks what the command passed on. */
function recordingActions() {
  const calls: { action: string; options: unknown; ctx: CommandContext }[] = [];
  const record =
    (action: string) =>
    async (ctx: CommandContext, options: unknown): Promise<void> => {
      calls.push({ action, options, ctx });
    };
  const actions: Actions = {
    up: record('up'),
    down: record('down'),
    status: record('status'),
    start: record('start'),
    stop: record('stop'),
  };
  return { actions, calls };
}

const silent: Output = {
  line() {},
  json() {},
  table() {},
  progress: () => ({ phase() {}, done() {} }),
};

async function parse(argv: string[]) {
  const { actions, calls } = recordingActions();
  const program = buildProgram(actions, silent);
  for (const command of [program, ...program.commands]) {
    command.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  }
  await program.parseAsync(['node', 'micado', ...argv]);
  return calls;
}

describe('micado program', () => {
  it('passes the manual start options through', async () => {
    const [call] = await parse([
      'start',
      '-c',
      'local',
      '-f',
      'small',
      '-t',
      'application01',
      '-n',
      'application',
    ]);
    expect(call?.action).toBe('start');
    expect(call?.options).toMatchObject({
      cloud: 'local',
      flavour: 'small',
      tag: 'application01',
      name: 'application',
    });
  });

  it('defaults start to the local cloud and the application pool', async () => {
    const [call] = await parse(['start', '--flavour', 'medium', '--tag', 'db1', '--json']);
    expect(call?.options).toEqual({
      cloud: 'local',
      flavour: 'medium',
      tag: 'db1',
      name: 'application',
      json: true,
    });
  });

  it('hands the global state dir to the configuration', async () => {
    const [call] = await parse(['--state-dir', '/srv/micado', 'status']);
    expect(call?.ctx.config.stateDir).toBe('/srv/micado');
  });

  it.each([
    [['start', '-f', 'small'], "required option '-t, --tag <tag>'"],
    [['stop'], "required option '-t, --tag <tag>'"],
    [['launch-all'], 'unknown command'],
    [['up', '--frobnicate'], 'unknown option'],
  ])('refuses %j as a usage error', async (argv, message) => {
    const error = await parse(argv).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).not.toBe(0);
    expect((error as CommanderError).message).toContain(message);
  });

  it('refuses an invalid state dir before any action runs', async () => {
    await expect(parse(['--state-dir', 'relative/dir', 'status'])).rejects.toThrow(
      'stateDir must be an absolute path',
    );
  });
});
