import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import type { Actions } from './actions/actions.js';
import type { CommandContext } from './context.js';
import type { Output } from './output.js';
import { buildProgram, normalizeArgv } from './program.js';

const COMMANDS = [
  'up',
  'down',
  'status',
  'start',
  'stop',
  'launch',
  'quit',
  'remove',
  'list',
  'logs',
  'info',
  'execute',
  'copy',
  'build',
  'monitor',
  'events',
  'manager',
  'policySet',
  'policyRemove',
  'policyList',
] as const;

/** A recording fake of every action: the test checks what the command passed on. */
function recordingActions() {
  const calls: { action: string; options: Record<string, unknown>; ctx: CommandContext }[] = [];
  const actions = Object.fromEntries(
    COMMANDS.map((name) => [
      name,
      async (ctx: CommandContext, options: Record<string, unknown>) => {
        calls.push({ action: name, options, ctx });
      },
    ]),
  ) as unknown as Actions;
  return { actions, calls };
}

const silent: Output = {
  warn: () => undefined,
  line() {},
  json() {},
  table() {},
  progress: () => ({ phase() {}, done() {} }),
};

async function parse(argv: string[]) {
  const { actions, calls } = recordingActions();
  const program = buildProgram(actions, silent, { exitCode: 0 });
  for (const command of [program, ...program.commands]) {
    command.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  }
  await program.parseAsync(normalizeArgv(['node', 'micado', ...argv]));
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

  it("takes the manual's launch example, arguments and all", async () => {
    const [call] = await parse([
      'launch', '-i', 'container-default', '-n', 'client', '-l', 'application', '-s', '/usr/src/app/app.sh',
      '-d', 'domain', '-a', 'user', 'host_ip', 'application', 'address', 'port',
    ]); // prettier-ignore
    expect(call?.options).toEqual({
      image: 'container-default',
      name: 'client',
      location: 'application',
      script: '/usr/src/app/app.sh',
      domain: 'domain',
      arguments: ['user', 'host_ip', 'application', 'address', 'port'],
      environment: [],
    });
  });

  it('collects repeated environment variables and the modern launch options', async () => {
    const [call] = await parse([
      'launch', '-i', 'app', '-n', 'c1', '-e', 'A=1', '--environment', 'B=2', '-p', '8080',
      '--cpu', '0.5', '--memory', '300m', '--replicas', '3', '--detach',
    ]); // prettier-ignore
    expect(call?.options).toMatchObject({
      environment: ['A=1', 'B=2'],
      port: '8080',
      cpu: '0.5',
      memory: '300m',
      replicas: '3',
      detach: true,
    });
  });

  it.each([
    [['quit', '-n', 'container-abc', '-rm'], 'quit', { name: 'container-abc', rm: true }],
    [['quit', '-n', 'container-abc', '--rm'], 'quit', { name: 'container-abc', rm: true }],
    [['remove', '-n', 'container-x'], 'remove', { name: 'container-x' }],
    [['list', '-c', '-a'], 'list', { containers: true, all: true }],
    [['list', '-i', '--json'], 'list', { instance: true, json: true }],
    [
      ['logs', '-n', 'container-x', '--follow', '--tail', '20'],
      'logs',
      { name: 'container-x', follow: true, tail: '20' },
    ],
    [['info', '-a'], 'info', { all: true }],
    [['info', '-s', 'container-x', '--json'], 'info', { service: 'container-x', json: true }],
    [
      ['execute', '-n', 'container-x', '-c', 'bash'],
      'execute',
      { name: 'container-x', command: 'bash', argv: [] },
    ],
    [
      ['execute', '-n', 'container-x', '--', 'ls', '-la', '/'],
      'execute',
      { name: 'container-x', argv: ['ls', '-la', '/'] },
    ],
    [
      ['copy', './a.txt', 'container-x:/tmp/'],
      'copy',
      { source: './a.txt', destination: 'container-x:/tmp/' },
    ],
    [
      ['build', '-n', 'container-application', '-f', 'tarball.tar'],
      'build',
      { name: 'container-application', filename: 'tarball.tar' },
    ],
  ] as [string[], string, Record<string, unknown>][])(
    'parses %j',
    async (argv, action, options) => {
      const [call] = await parse(argv);
      expect(call?.action).toBe(action);
      expect(call?.options).toEqual(options);
    },
  );

  it('hands the global state dir to the configuration', async () => {
    const [call] = await parse(['--state-dir', '/srv/micado', 'status']);
    expect(call?.ctx.config.stateDir).toBe('/srv/micado');
  });

  it.each([
    [['start', '-f', 'small'], "required option '-t, --tag <tag>'"],
    [['stop'], "required option '-t, --tag <tag>'"],
    [['launch', '-i', 'app'], "required option '-n, --name <client>'"],
    [['quit'], "required option '-n, --name <service>'"],
    [['build', '-n', 'container-a'], "required option '-f, --filename <tarball>'"],
    [['copy', 'only-one'], "missing required argument 'destination'"],
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
