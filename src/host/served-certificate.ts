/**
 * The certificate a proxy serves its domains with over HTTPS (`start -n proxy
 * --certificate FILE --key FILE`): read and checked before anything starts, so a
 * proxy never boots with one nginx would refuse or a browser would. The key goes to
 * the node in its boot parameters, never into a record, a log or an event.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../errors.js';

export interface ServedCertificate {
  /** The certificate, its chain after it, PEM. */
  cert: string;
  key: string;
}

export function readServedCertificate(
  certFile: string | undefined,
  keyFile: string | undefined,
  now = new Date(),
): ServedCertificate {
  if (!certFile || !keyFile)
    throw usageError('give the proxy its certificate and key together: --certificate FILE --key FILE'); // prettier-ignore
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw usageError(`cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`); // prettier-ignore
    }
  };
  const cert = read(certFile, 'certificate');
  const key = read(keyFile, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw usageError(`${certFile} is not a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw usageError(`${keyFile} is not a PEM private key (unencrypted)`);
  }
  if (!x509.checkPrivateKey(privateKey))
    throw usageError(`${keyFile} is not the key of ${certFile}: give the pair that belongs together`); // prettier-ignore
  if (new Date(x509.validTo) <= now)
    throw usageError(`${certFile} expired on ${new Date(x509.validTo).toISOString().slice(0, 10)}: renew it`); // prettier-ignore
  if (new Date(x509.validFrom) > now)
    throw usageError(`${certFile} is not valid before ${new Date(x509.validFrom).toISOString().slice(0, 10)}`); // prettier-ignore
  return {
    cert: cert.endsWith('\n') ? cert : `${cert}\n`,
    key: key.endsWith('\n') ? key : `${key}\n`,
  };
}

/** Write it where the proxy package's execute.sh reads `--certificate-dir` (the key mode 600). */
export function writeServedCertificate(certificate: ServedCertificate, dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'cert.pem'), certificate.cert, { mode: 0o644 });
  writeFileSync(join(dir, 'key.pem'), certificate.key, { mode: 0o600 });
  return dir;
}
