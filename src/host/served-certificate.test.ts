import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readServedCertificate } from './served-certificate.js';

const work = mkdtempSync(join(tmpdir(), 'micado-served-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A self-signed certificate for `name` and its key, made by openssl. */
function selfSigned(name: string): { cert: string; key: string } {
  const cert = join(work, `${name}.pem`);
  const key = join(work, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '30', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert], { stdio: 'ignore' }); // prettier-ignore
  return { cert, key };
}

describe('the certificate a proxy serves', () => {
  const shop = selfSigned('shop.example');
  const other = selfSigned('other.example');

  it('reads a certificate with its own key', () => {
    const read = readServedCertificate(shop.cert, shop.key);
    expect(read.cert).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(read.key).toMatch(/PRIVATE KEY-----\n$/);
  });

  it.each([
    ['a certificate without its key', () => readServedCertificate(shop.cert, undefined), /--certificate FILE --key FILE/],
    ['a key that is not the certificate\'s', () => readServedCertificate(shop.cert, other.key), /is not the key of/],
    ['a file that is no certificate', () => readServedCertificate(shop.key, shop.key), /is not a PEM certificate/],
    ['a file that is no key', () => readServedCertificate(shop.cert, shop.cert), /is not a PEM private key/],
    ['a missing file', () => readServedCertificate(join(work, 'none.pem'), shop.key), /cannot read the certificate .*ENOENT/],
    ['an expired certificate', () => readServedCertificate(shop.cert, shop.key, new Date(Date.now() + 60 * 86_400_000)), /expired on \d{4}-\d\d-\d\d: renew it/],
  ])('refuses %s in one line', (_, read, message) => {
    expect(read).toThrow(message);
    try {
      read();
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
      expect((err as Error).message).not.toContain('PRIVATE KEY');
    }
  }); // prettier-ignore

  it('never takes the key for part of the message, whatever the file holds', () => {
    writeFileSync(join(work, 'garbage.key'), 'not a key at all');
    expect(() => readServedCertificate(shop.cert, join(work, 'garbage.key'))).toThrow(
      /garbage\.key is not a PEM private key/,
    );
  });
});
