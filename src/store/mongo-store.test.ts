/**
 * The contract against a real MongoDB, when MICADO_TEST_MONGO_URL names one (its
 * database part is replaced by one database per test, dropped afterwards).
 */
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { MongoStore, mongoDatabase, mongoWhere } from './mongo-store.js';
import { storeContract } from './store.contract.js';

const url = process.env.MICADO_TEST_MONGO_URL;

function urlFor(base: string, database: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)\/?[^?]*(\?.*)?$/.exec(base);
  if (!match) throw new Error('MICADO_TEST_MONGO_URL is not a mongodb:// URL');
  return `${match[1]}/${database}${match[2] ?? ''}`;
}

describe.skipIf(!url)('MongoStore against MICADO_TEST_MONGO_URL', () => {
  storeContract('mongo', {
    open: (location, retention) =>
      MongoStore.open(urlFor(url!, location), { connectTimeoutMs: 5_000, retention }),
    destroy: async (location) => {
      const client = new MongoClient(urlFor(url!, location));
      try {
        await client.db(location).dropDatabase();
      } finally {
        await client.close();
      }
    },
  });
});

describe('MongoStore without a server', () => {
  it('finds the database a URL names', () => {
    expect(mongoDatabase('mongodb://h:27017/micado')).toBe('micado');
    expect(mongoDatabase('mongodb://u:p@h1:1,h2:2/db?replicaSet=r')).toBe('db');
    expect(mongoDatabase('mongodb+srv://u:p@cluster.example/m%2Dx')).toBe('m-x');
    expect(mongoDatabase('mongodb://h:27017')).toBeUndefined();
    expect(mongoDatabase('mongodb://h:27017/')).toBeUndefined();
    expect(mongoDatabase('mongodb://h:27017/?authSource=admin')).toBeUndefined();
  });

  it('never shows credentials', () => {
    expect(mongoWhere('mongodb://user:s3cret@h1:1,h2:2/db?x=1')).toBe('mongodb h1:1,h2:2/db');
  });

  it('refuses a URL without a database before connecting', async () => {
    await expect(
      MongoStore.open('mongodb://u:s3cret@127.0.0.1:1', { connectTimeoutMs: 200 }),
    ).rejects.toThrow(
      /^the MongoDB URL \(mongodb 127\.0\.0\.1:1\/\) names no database: add one, e\.g\. mongodb:\/\/HOST:27017\/micado$/,
    );
  });

  it('says in one line, without the password, that no server answers', async () => {
    const error = await MongoStore.open('mongodb://u:s3cret@127.0.0.1:1/micado', {
      connectTimeoutMs: 300,
    }).then(
      () => new Error('opened'),
      (err: unknown) => err as Error,
    );
    expect(error).toMatchObject({ kind: 'transient' });
    expect(error.message).toMatch(
      /^cannot reach mongodb 127\.0\.0\.1:1\/micado: .*check that the server runs/,
    );
    expect(error.message).not.toContain('s3cret');
    expect(error.message).not.toContain('\n');
  });
});
