/**
 * The cloud-init user-data an instance cloud's node boots from: a script that runs
 * the node package's execute.sh (baked into the image by its deploy.sh, at
 * /opt/micado/node unless MICADO_NODE_HOME says otherwise) with the node's boot
 * parameters. It holds the join token and the node's key: it is as secret as they
 * are, and is never logged, recorded or shown.
 */
import { bootArguments, type NodeBootParameters } from '../cloud/cloud-driver.js';

export const NODE_HOME = '/opt/micado/node';

/** One shell word, whatever it holds. */
const quoted = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export function nodeUserData(parameters: Partial<NodeBootParameters>): string {
  const words = bootArguments(parameters).map(quoted).join(' ');
  return [
    '#!/bin/sh',
    '# micado node: boot and join the swarm. Rendered by the micado manager; it holds the',
    "# node's join token and key, so it is as secret as they are.",
    // Arguments after the rendered ones are the machine's own (a local node's address).
    `exec "\${MICADO_NODE_HOME:-${NODE_HOME}}/execute.sh" ${words} "$@"`,
    '',
  ].join('\n');
}

/** The boot script's parameters, as the emulator reads a user-data it is handed. */
export function userDataArguments(userData: string): string[] | undefined {
  const line = userData.split('\n').find((l) => l.startsWith('exec '));
  if (!line) return undefined;
  return [...line.matchAll(/'((?:[^']|'\\'')*)'/g)].map(([, word]) => word!.replace(/'\\''/g, "'"));
}
