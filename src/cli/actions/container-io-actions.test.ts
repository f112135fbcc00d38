import { describe, expect, it } from 'vitest';
import { commandArgv } from './container-io-actions.js';

describe('execute command line', () => {
  it.each([
    [{ command: 'bash', argv: [] }, ['bash']],
    [{ command: 'ls -la "/my dir"', argv: [] }, ['ls', '-la', '/my dir']],
    [{ command: "echo '$HOME'", argv: [] }, ['echo', '$HOME']],
    [{ argv: ['ls', '-la'] }, ['ls', '-la']],
    [
      { command: 'echo $HOME | wc -c', shell: true, argv: [] },
      ['/bin/sh', '-c', 'echo $HOME | wc -c'],
    ],
  ])('runs %j as %j', (options, argv) => {
    expect(commandArgv(options)).toEqual(argv);
  });

  it.each([
    [{ command: 'ls | wc', argv: [] }, /needs a shell .*: add --shell/],
    [{ command: 'echo $HOME', argv: [] }, /needs a shell/],
    [{ command: 'ls *.txt', argv: [] }, /needs a shell/],
    [{ command: '   ', argv: [] }, /give the command to run/],
    [{ argv: [] }, /give the command to run/],
    [{ command: 'ls', argv: ['ls'] }, /either with -c or after --/],
  ])('refuses %j', (options, message) => {
    expect(() => commandArgv(options)).toThrow(message);
  });
});
