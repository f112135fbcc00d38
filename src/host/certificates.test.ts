import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureClusterTls,
  issueNodeCertificate,
  managerTls,
  writeTlsFiles,
  type ClusterTlsFiles,
  type TlsMaterial,
} from './certificates.js';

const dirs: string[] = [];
const tempDir = () => dirs[dirs.push(mkdtempSync(join(tmpdir(), 'micado-tls-'))) - 1]!;
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A TLS server that, as dockerd with --tlsverify, answers only clients of its CA. */
function engineLike(issued: { ca: string; cert: string; key: string }) {
  return createServer(
    {
      ca: readFileSync(issued.ca),
      cert: readFileSync(issued.cert),
      key: readFileSync(issued.key),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => socket.end('ok'),
  );
}

function handshake(port: number, client: Partial<TlsMaterial>, servername = 'i-1') {
  return new Promise<string>((resolve, reject) => {
    const options = { port, host: '127.0.0.1', servername, ...client };
    const socket: TLSSocket = connect(options, () => undefined);
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('cluster certificates', () => {
  let files: ClusterTlsFiles;
  let port: number;
  let server: ReturnType<typeof engineLike>;

  beforeAll(async () => {
    const stateDir = tempDir();
    files = await ensureClusterTls(stateDir, 'test');
    const issued = writeTlsFiles(await issueNodeCertificate(files, 'i-1'), join(stateDir, 'node'));
    server = engineLike(issued);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('issues engine certificates that name the instance only and are no CA', async () => {
    const issued = await issueNodeCertificate(files, 'i-2');
    const cert = new X509Certificate(issued.cert);
    expect(cert.ca).toBe(false);
    expect(cert.subjectAltName).toBe('DNS:i-2');
    expect(cert.verify(new X509Certificate(readFileSync(files.caCert)).publicKey)).toBe(true);
    expect(issued.ca).toBe(readFileSync(files.caCert, 'utf8'));
    // Nothing of the issue is left beside the CA.
    expect(readdirSync(files.dir).sort()).toEqual(
      ['ca-key.pem', 'ca.pem', 'manager-cert.pem', 'manager-key.pem'].sort(),
    );
  });

  it('keeps every key readable by its owner only', () => {
    const written = writeTlsFiles(
      { ca: 'ca', cert: 'cert', key: 'key' },
      join(files.dir, '..', 'written'),
    );
    for (const key of [files.caKey, files.clientKey, written.key]) {
      expect(statSync(key).mode & 0o777).toBe(0o600);
    }
  });

  it('is made once: a second call keeps the same CA', async () => {
    const before = readFileSync(files.caCert, 'utf8');
    await ensureClusterTls(join(files.dir, '..'), 'test');
    expect(readFileSync(files.caCert, 'utf8')).toBe(before);
  });

  it('lets the manager in with its client certificate, checking the engine by instance', async () => {
    expect(await handshake(port, managerTls(files))).toBe('ok');
    // The engine's certificate serves its own instance only.
    await expect(handshake(port, managerTls(files), 'i-2')).rejects.toThrow(/altnames/i);
  });

  it('refuses a client with no certificate, or one of another CA', async () => {
    // Under TLS 1.3 the server refuses after the client's side of the handshake: either
    // way, nothing is answered.
    const answer = (client: Partial<TlsMaterial>) => handshake(port, client).catch(() => 'refused');
    const { ca } = managerTls(files);
    expect(await answer({ ca })).not.toBe('ok');
    const foreign = managerTls(await ensureClusterTls(tempDir(), 'other'));
    expect(await answer({ ...foreign, ca })).not.toBe('ok');
  });
});
