/**
 * The cloud-init user-data an instance cloud's node boots from: a script that runs
 * the execute.sh of the package of the node's role (baked into the image by its
 * deploy.sh: the node package at /opt/micado/node unless MICADO_NODE_HOME says
 * otherwise; a proxy's at /opt/micado/proxy, MICADO_PROXY_HOME) with the node's boot
 * parameters. It holds the join token and the node's key (and a proxy's served key):
 * it is as secret as they are, and is never logged, recorded or shown. On the VM they
 * go into files only root reads (a directory of mode 700, removed once the boot has
 * ended; what outlives the boot, execute.sh moves), never onto the boot's command line,
 * which every process of the VM could read.
 */
import { bootArguments, type NodeBootParameters } from '../cloud/cloud-driver.js';
import { PROXY_POOL } from '../config/config.js';

export const NODE_HOME = '/opt/micado/node';
export const PROXY_HOME = '/opt/micado/proxy';

/** One shell word, whatever it holds. */
const quoted = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** A here-document's end: no token, base64 bundle or name ever holds it. */
const END = 'MICADO_SECRET_END';

export function nodeUserData(
  parameters: Partial<NodeBootParameters>,
  /** The read token an https catalog asks (a proxy's route agent reads it). */
  catalogToken?: string,
): string {
  const { token, tls, certificate, ...open } = parameters;
  const home = open.pool === PROXY_POOL ? `\${MICADO_PROXY_HOME:-${PROXY_HOME}}` : `\${MICADO_NODE_HOME:-${NODE_HOME}}`; // prettier-ignore
  const words = bootArguments(open).map(quoted).join(' ');
  const secret = (file: string, value: string | undefined) => {
    if (!value) return [];
    // A token and a base64 bundle are one word of these: nothing that could end the text.
    if (!/^[\w.+/=-]+$/.test(value)) throw new Error(`the node's ${file} is not one word`);
    return [`cat > "$secrets/${file}" <<'${END}'`, value, END];
  };
  return [
    '#!/bin/sh',
    '# micado node: boot and join the swarm. Rendered by the micado manager; it holds the',
    "# node's join token and key, so it is as secret as they are.",
    'secrets=$(umask 077 && mktemp -d) || exit 1',
    `trap 'rm -rf "$secrets"' EXIT`,
    ...secret('join-token', token),
    ...secret('tls', tls),
    ...secret('catalog-token', catalogToken),
    ...secret('certificate', certificate),
    // Arguments after the rendered ones are the machine's own (a local node's address).
    `"${home}/execute.sh" ${words}${token ? ' --token-file "$secrets/join-token"' : ''}${tls ? ' --tls-file "$secrets/tls"' : ''}${catalogToken ? ' --catalog-token-file "$secrets/catalog-token"' : ''}${certificate ? ' --certificate-file "$secrets/certificate"' : ''} "$@"`,
    '',
  ].join('\n');
}

/** The boot script's parameters as the user-data passes them (the secrets' files left out). */
export function userDataArguments(userData: string): string[] | undefined {
  const line = userData.split('\n').find((l) => l.includes('/execute.sh" '));
  if (!line) return undefined;
  return [...line.matchAll(/'((?:[^']|'\\'')*)'/g)].map(([, word]) => word!.replace(/'\\''/g, "'"));
}
