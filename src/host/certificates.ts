/**
 * The cluster's certificate authority and the certificates it issues, made with
 * Debian's openssl (no key ever leaves the state dir, every key file is mode 600).
 * Node engines listen on TCP with --tlsverify and a server certificate of this CA; the
 * manager reaches them with a client certificate of the same CA, so an engine answers
 * nobody else, and a node cannot pass for another.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { runCommand } from './run-command.js';

/** Where the cluster's CA and the manager's client certificate live. */
export interface ClusterTlsFiles {
  dir: string;
  caCert: string;
  caKey: string;
  clientCert: string;
  clientKey: string;
}

/** A certificate and key, with the CA that signed it, as PEM text. */
export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

/** Files of a certificate written into a directory. */
export interface IssuedFiles {
  ca: string;
  cert: string;
  key: string;
}

export function clusterTlsFiles(stateDir: string): ClusterTlsFiles {
  const dir = join(stateDir, 'tls');
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    clientCert: join(dir, 'manager-cert.pem'),
    clientKey: join(dir, 'manager-key.pem'),
  };
}

const DAYS = '3650';
const CURVE = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

/**
 * Make the cluster's CA and the manager's client certificate unless they exist. Made in
 * a scratch directory and renamed, so a crash never leaves half a CA.
 */
export async function ensureClusterTls(
  stateDir: string,
  clusterName: string,
): Promise<ClusterTlsFiles> {
  const files = clusterTlsFiles(stateDir);
  if (existsSync(files.caCert) && existsSync(files.clientKey)) return files;
  const scratch = `${files.dir}.new-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  try {
    const at = (path: string) => join(scratch, basename(path));
    await runCommand(['openssl', 'req', '-x509', ...CURVE, '-nodes', '-days', DAYS,
      '-subj', `/CN=micado ${clusterName} CA`, '-keyout', at(files.caKey), '-out', at(files.caCert),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']); // prettier-ignore
    await sign(
      { caCert: at(files.caCert), caKey: at(files.caKey) },
      { cert: at(files.clientCert), key: at(files.clientKey) },
      `micado ${clusterName} manager`,
      ['extendedKeyUsage=clientAuth'],
    );
    for (const key of [files.caKey, files.clientKey]) chmodSync(at(key), 0o600);
    rmSync(files.dir, { recursive: true, force: true });
    renameSync(scratch, files.dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return files;
}

/**
 * Issue a node engine's server certificate, named after its instance (the one name the
 * manager checks, so a node cannot pass for another, and a cloud node needs no address
 * before it boots). Returned as text, with the CA, for the node's boot parameters; the
 * scratch files are gone when this resolves.
 */
export async function issueNodeCertificate(
  files: ClusterTlsFiles,
  instance: string,
): Promise<TlsMaterial> {
  const scratch = mkdtempSync(join(files.dir, 'issue-'));
  try {
    const out = { cert: join(scratch, 'cert.pem'), key: join(scratch, 'key.pem') };
    await sign(files, out, `micado node ${instance}`, [
      `subjectAltName=DNS:${instance}`,
      'extendedKeyUsage=serverAuth',
    ]);
    return {
      ca: readFileSync(files.caCert, 'utf8'),
      cert: readFileSync(out.cert, 'utf8'),
      key: readFileSync(out.key, 'utf8'),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Issue a server certificate of the cluster's CA for a service of the manager's (the
 * registry, a listener), valid for each of `hosts` (addresses or names), written into
 * `dir` as cert.pem and key.pem (mode 600).
 */
export async function issueServerCertificate(
  files: ClusterTlsFiles,
  name: string,
  hosts: string[],
  dir: string,
): Promise<{ cert: string; key: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  const san = hosts
    .map((host) => (/^[\d.]+$/.test(host) || host.includes(':') ? `IP:${host}` : `DNS:${host}`))
    .join(',');
  await sign(files, out, name, [`subjectAltName=${san}`, 'extendedKeyUsage=serverAuth']);
  chmodSync(out.key, 0o600);
  return out;
}

/** Write a certificate, its key (mode 600) and its CA into `dir` as execute.sh reads them. */
export function writeTlsFiles(material: TlsMaterial, dir: string): IssuedFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  writeFileSync(files.ca, material.ca, { mode: 0o644 });
  writeFileSync(files.cert, material.cert, { mode: 0o644 });
  writeFileSync(files.key, material.key, { mode: 0o600 });
  return files;
}

/** The manager's client certificate, to reach node engines with. */
export function managerTls(files: ClusterTlsFiles): TlsMaterial {
  return {
    ca: readFileSync(files.caCert, 'utf8'),
    cert: readFileSync(files.clientCert, 'utf8'),
    key: readFileSync(files.clientKey, 'utf8'),
  };
}

/**
 * A new key and a certificate for it, signed by the CA, in one openssl run (its `req`
 * signs with -CA since 3.0): never a CA itself, with the given extensions.
 */
async function sign(
  ca: { caCert: string; caKey: string },
  out: { cert: string; key: string },
  commonName: string,
  extensions: string[],
): Promise<void> {
  const added = ['basicConstraints=critical,CA:FALSE', ...extensions].flatMap((e) => [
    '-addext',
    e,
  ]);
  await runCommand(['openssl', 'req', '-x509', '-CA', ca.caCert, '-CAkey', ca.caKey, ...CURVE,
    '-nodes', '-days', DAYS, '-subj', `/CN=${commonName}`, '-keyout', out.key, '-out', out.cert,
    // A random serial, not a serial file: nodes are issued certificates concurrently.
    '-set_serial', `0x${randomBytes(16).toString('hex')}`, ...added]); // prettier-ignore
}
