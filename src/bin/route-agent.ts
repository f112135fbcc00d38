#!/usr/bin/env node
/**
 * The proxy's route agent, as the proxy package runs it (supervised: restarted when it
 * dies): `route-agent.js --catalog http://HOST:8500 --address ADDRESS --dir NGINX_DIR
 * [--port 80] [--control URL] [--certificate-dir DIR] [--catalog-dir DIR]`. The catalog
 * DIR holds what an https catalog asks: `token` (the read token, mode 600) and `ca.pem`
 * (the cluster's CA), so neither is on a command line. With DIR (cert.pem and key.pem),
 * every domain is served over HTTPS on 443 too. NGINX_DIR holds the nginx.conf that includes
 * routes.conf, and nginx.pid; URL is where nginx takes the routes' instances
 * (http://127.0.0.1:8480/routes, nginx.conf.in's control listener).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf } from '../errors.js';
import { PEER_TABLE_URL, PLAIN_PATH } from '../proxy/nginx-config.js';
import { NginxControl } from '../proxy/nginx-control.js';
import { RouteAgent } from '../proxy/route-agent.js';

const option = (name: string, fallback?: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  const value = at > 0 ? process.argv[at + 1] : fallback;
  if (!value) throw new Error(`--${name} is missing`);
  return value;
};
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

try {
  const port = Number(option('port', '80'));
  const certificateDir = process.argv.includes('--certificate-dir')
    ? option('certificate-dir')
    : undefined;
  if (certificateDir !== undefined && !PLAIN_PATH.test(certificateDir))
    throw new Error('--certificate-dir must be an absolute path of letters, digits and _ . / -');
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error('--port takes 1 to 65535');
  const catalogDir = process.argv.includes('--catalog-dir') ? option('catalog-dir') : undefined;
  const agent = new RouteAgent({
    catalogUrl: option('catalog'),
    ...(catalogDir
      ? {
          catalogToken: readFileSync(join(catalogDir, 'token'), 'utf8').trim(),
          catalogCa: readFileSync(join(catalogDir, 'ca.pem'), 'utf8'),
        }
      : {}),
    listen: { address: option('address'), port, certificateDir },
    nginx: new NginxControl(option('dir'), option('control', PEER_TABLE_URL)),
    log,
  });
  agent.start();
  log(`route agent: watching ${option('catalog')}`);
  const stop = () => void agent.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  process.stderr.write(`route-agent: ${messageOf(err)}\n`);
  process.exitCode = 2;
}
