/**
 * The `consul` npm client's one home (lint keeps it here): how micado itself reads a
 * catalog (the proxy's route agent, from micado's Consul-compatible API or a real
 * Consul) and registers into a real Consul (the registrar).
 */
import { Agent } from 'node:https';
import Consul from 'consul';

export type ConsulClient = Consul;
export type ConsulWatch = ReturnType<Consul['watch']>;

/**
 * A client of the Consul API at `url` (http or https), with an ACL token if given, and
 * over https checking the server against `ca` when given (else the system's roots).
 */
export function consulClient(url: string, token?: string, ca?: string): ConsulClient {
  const { hostname, port, protocol } = new URL(url);
  const secure = protocol === 'https:';
  return new Consul({
    host: hostname,
    port: Number(port || (secure ? 443 : 80)),
    secure,
    defaults: token ? { token } : {},
    ...(secure && ca ? { agent: new Agent({ ca, keepAlive: true }) } : {}),
  });
}
