import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';
import { storeContract } from './store.contract.js';
import { instance } from './store.fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'micado-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract('sqlite', {
  open: async (location, retention) => SqliteStore.open(join(dir, `${location}.db`), retention),
  destroy: async (location) => {
    for (const suffix of ['', '-wal', '-shm'])
      rmSync(join(dir, `${location}.db${suffix}`), { force: true });
  },
});

describe('SqliteStore faults', () => {
  it('refuses a corrupt file in one line and leaves it as it was', async () => {
    const file = join(dir, 'corrupt.db');
    const garbage = 'this is not a database'.repeat(300);
    writeFileSync(file, garbage);
    expect(() => SqliteStore.open(file)).toThrow(
      /^the store .*corrupt\.db is corrupt \(file is not a database\): move it aside and micado starts a new one$/,
    );
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(file, 'utf8')).toBe(garbage);
  });

  it('says when the directory is missing', () => {
    expect(() => SqliteStore.open(join(dir, 'no/such/dir/micado.db'))).toThrow(
      /cannot open the store .*: check that its directory exists and is writable/,
    );
  });

  it('keeps what was written when a later open fails', async () => {
    const file = join(dir, 'kept.db');
    const store = SqliteStore.open(file);
    await store.putInstance(instance('a'));
    await store.close();
    const again = SqliteStore.open(file);
    expect(await again.instances()).toEqual([instance('a')]);
    await again.close();
  });

  it('refuses a store written by a newer schema', async () => {
    const file = join(dir, 'newer.db');
    await SqliteStore.open(file).close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => SqliteStore.open(file)).toThrow(/newer micado \(schema 99\): upgrade micado/);
  });

  it('brings a store of schema 1 up to date, keeping its samples', async () => {
    const file = join(dir, 'schema1.db');
    const Database = (await import('better-sqlite3')).default;
    const old = new Database(file);
    old.exec(`CREATE TABLE samples (at INTEGER NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
      cpu_milli REAL, memory_mb REAL NOT NULL);
      INSERT INTO samples VALUES (1000, 'container', 'web', 5, 10);`);
    old.pragma('user_version = 1');
    old.close();
    const store = SqliteStore.open(file);
    expect(await store.history({})).toEqual([{ at: 1000, kind: 'container', subject: 'web', cpuMilli: 5, memoryMb: 10 }]); // prettier-ignore
    // And it keeps hourly usage, which schema 1 had no table for.
    await store.addUsage([{ hour: 0, kind: 'pool', name: 'p', containerMs: 0, cpuReservedMilliMs: 0, cpuUsedMilliMs: 0, memoryReservedMbMs: 0, memoryUsedMbMs: 0, nodeMs: 5, nodesStarted: 0 }]); // prettier-ignore
    expect((await store.usage({ since: 0, until: 1 }))[0]).toMatchObject({ name: 'p', nodeMs: 5 });
    await store.close();
  });

  it('brings a ledger of schema 3 up to date: its intents kept, replacements recorded', async () => {
    const file = join(dir, 'schema3.db');
    const Database = (await import('better-sqlite3')).default;
    const old = new Database(file);
    old.exec(`CREATE TABLE intents (id TEXT PRIMARY KEY, pool TEXT NOT NULL, driver TEXT NOT NULL,
      cloud TEXT, flavour TEXT NOT NULL, instance TEXT NOT NULL, state TEXT NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, error TEXT);
      INSERT INTO intents VALUES ('1', 'p', 'local', NULL, 'small', 'i-1', 'requested', 5, 6, NULL);`);
    old.pragma('user_version = 3');
    old.close();
    const store = SqliteStore.open(file);
    expect(await store.openIntents()).toMatchObject([{ id: '1', instance: 'i-1', state: 'requested' }]); // prettier-ignore
    await store.addIntent({ id: '2', pool: 'p', driver: 'local', cloud: undefined, flavour: 'medium', instance: 'i-2', state: 'intended', createdAt: 7, updatedAt: 7, error: undefined, replaces: ['i-1'] }); // prettier-ignore
    expect((await store.openIntents())[1]!.replaces).toEqual(['i-1']);
    await store.close();
  });
});
