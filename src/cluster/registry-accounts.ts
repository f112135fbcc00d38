/**
 * The private registry's two accounts. `push` may write and delete, and only the
 * manager holds it; `pull` may only read, and Swarm hands it to the nodes with each
 * task (a service made with registry auth), so no node keeps a credential that could
 * change an image. Passwords are random (32 bytes), kept in one mode-600 file beside
 * the registry's data, so they live as long as the images they guard.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createWhole } from '../host/whole-file.js';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { hostError } from '../errors.js';

export interface RegistryAccount {
  username: string;
  password: string;
}

export interface RegistryAccounts {
  pull: RegistryAccount;
  push: RegistryAccount;
}

export const registryAccountsFile = (registryDir: string) => join(registryDir, 'accounts.json');

/** The accounts of the registry kept in `registryDir`, made on first need. */
export function ensureRegistryAccounts(registryDir: string): RegistryAccounts {
  const file = registryAccountsFile(registryDir);
  if (!existsSync(file)) {
    mkdirSync(registryDir, { recursive: true, mode: 0o700 });
    const account = (username: string) => ({
      username,
      password: randomBytes(32).toString('base64url'),
    });
    const accounts: RegistryAccounts = {
      pull: account('micado-pull'),
      push: account('micado-push'),
    };
    // Another `up` may make them first: theirs count.
    createWhole(file, `${JSON.stringify(accounts, null, 2)}\n`);
  }
  return readRegistryAccounts(registryDir);
}

export function readRegistryAccounts(registryDir: string): RegistryAccounts {
  const file = registryAccountsFile(registryDir);
  let accounts: RegistryAccounts;
  try {
    if ((statSync(file).mode & 0o077) !== 0)
      throw hostError(`${file} may be read by others: chmod 600 it (it holds the registry's passwords)`); // prettier-ignore
    accounts = JSON.parse(readFileSync(file, 'utf8')) as RegistryAccounts;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw hostError(`the registry's accounts (${file}) are missing: run micado up`);
    throw err instanceof SyntaxError ? hostError(`${file} is not JSON: remove it and run micado up`) : err; // prettier-ignore
  }
  for (const role of ['pull', 'push'] as const) {
    if (!accounts[role]?.username || !accounts[role].password)
      throw hostError(`${file} holds no ${role} account: remove it and run micado up`);
  }
  return accounts;
}

/**
 * An htpasswd line for the registry (it reads bcrypt alone). Cost 4, bcrypt's least:
 * the registry checks the hash on every request of a pull, and a 32-byte random
 * password needs no slow hash to resist guessing.
 */
export function htpasswdLine(account: RegistryAccount): string {
  return `${account.username}:${bcrypt.hashSync(account.password, 4)}\n`;
}
