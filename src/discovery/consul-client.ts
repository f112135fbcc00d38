/**
 * The `consul` npm client's one home (lint keeps it here): how micado itself reads a
 * catalog (the proxy's route agent, from micado's Consul-compatible API or a real
 * Consul) and registers into a real Consul (the registrar).
 */
import Consul from 'consul';

export type ConsulClient = Consul;
export type ConsulWatch = ReturnType<Consul['watch']>;

/** A client of the Consul API at `url` (http or https), with an ACL token if given. */
export function consulClient(url: string, token?: string): ConsulClient {
  const { hostname, port, protocol } = new URL(url);
  return new Consul({
    host: hostname,
    port: Number(port || (protocol === 'https:' ? 443 : 80)),
    secure: protocol === 'https:',
    defaults: token ? { token } : {},
  });
}
