/**
 * Who may read what the manager's listeners serve (decision 015). On a loopback
 * address, anyone on the machine: they can read the state directory anyway. Off
 * loopback, every listener speaks TLS with a certificate of the cluster's CA, and
 * nothing but /healthz answers without a token:
 *
 * - the operator's token (`manager.dashboardTokenFile`, STATE_DIR/dashboard.token)
 *   opens everything, the dashboard included;
 * - the read token (`manager.readTokenFile`, STATE_DIR/read.token) reads the catalog,
 *   Prometheus' targets and /metrics, and nothing else: what proxies' route agents
 *   (given it at boot), Prometheus and Consul clients need.
 *
 * Tokens are made on first need into files only root reads (one others may read is
 * refused, as a key would be) and compared in constant time. A client presents one as
 * Consul's clients do (`X-Consul-Token`, or `?token=`) or as a bearer.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createWhole } from './whole-file.js';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { issueServerCertificate, type ClusterTlsFiles } from './certificates.js';

/** True for a listen address (host:port) on loopback. */
export const isLoopback = (listen: string) =>
  /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1):\d+$/.test(listen);

/** The token in `file`, made (32 random characters, mode 600) if there is none. */
export function ensureTokenFile(file: string, opens: string): string {
  if (!existsSync(file)) createWhole(file, `${randomBytes(24).toString('base64url')}\n`);
  if ((statSync(file).mode & 0o077) !== 0)
    throw usageError(`${file} may be read by others: chmod 600 it (it opens ${opens})`);
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16) throw usageError(`${file} holds no token of 16 characters or more`);
  return token;
}

/**
 * The token a request presents, however it presents it. An Authorization header with
 * no scheme counts as a bearer: Prometheus 2.42's http_sd sends the credentials bare
 * unless its `authorization` names `type: Bearer`.
 */
export function presentedToken(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization;
  const bearer = authorization && (/^Bearer (.+)$/.exec(authorization)?.[1] ?? (/^[^\s]+$/.test(authorization) ? authorization : undefined)); // prettier-ignore
  const consul = request.headers['x-consul-token'];
  const query = new URL(request.url ?? '/', 'http://listener').searchParams.get('token');
  return bearer ?? (typeof consul === 'string' ? consul : undefined) ?? query ?? undefined;
}

export function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A listener's base URL: http on loopback, https (the cluster's CA) off it. */
export const listenerUrl = (listen: string) =>
  `${isLoopback(listen) ? 'http' : 'https'}://${listen}`;

/** The tokens a listener asks for; undefined on loopback, where none is asked. */
export interface ListenerTokens {
  operator: string;
  read: string;
}

/** The tokens in `files` (made on first need), for a listener on `listen`. */
export function listenerTokens(
  files: { operator: string; read: string },
  listen: string,
): ListenerTokens | undefined {
  if (isLoopback(listen)) return undefined;
  return {
    operator: ensureTokenFile(files.operator, 'the dashboard and every listener'),
    read: ensureTokenFile(files.read, "the catalog and the manager's metrics"),
  };
}

/**
 * True when the request may read the catalog, the targets or the metrics. As Consul,
 * /v1/status/ asks no token: it says where the servers are, which every node knows.
 */
export function mayRead(request: IncomingMessage, tokens: ListenerTokens | undefined): boolean {
  if (!tokens) return true;
  // The path as the catalog reads it (`..` resolved): `/v1/status/../catalog/…` is the catalog.
  if (new URL(request.url ?? '/', 'http://listener').pathname.startsWith('/v1/status/'))
    return true;
  const given = presentedToken(request);
  return sameToken(given, tokens.read) || sameToken(given, tokens.operator);
}

/**
 * A certificate of the cluster's CA for a listener off loopback, made anew at each
 * start: valid for its address, or for every address of the host when it listens on
 * all of them.
 */
export async function listenerCertificate(
  tls: ClusterTlsFiles,
  name: string,
  listen: string,
): Promise<{ cert: string; key: string }> {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  const hosts =
    host === '0.0.0.0' || host === '::'
      ? Object.values(networkInterfaces())
          .flat()
          .filter((a) => a !== undefined && a.family === 'IPv4')
          .map((a) => a!.address)
      : [host];
  return issueServerCertificate(tls, `micado ${name}`, hosts, join(tls.dir, 'listeners', name));
}
