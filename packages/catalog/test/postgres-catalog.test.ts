// The PostgreSQL catalog against the real server on 127.0.0.1:5432, in a fresh schema per run.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { catalogContract } from '../src/catalog.contract.ts';
import { CatalogError } from '../src/index.ts';
import { PostgresCatalog } from '../src/postgres-catalog.ts';

const URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(!!socket.end()));
    socket.once('error', () => resolve(false));
  });
}

const up = await reachable(5432);
if (!up && process.env.CI === 'true')
  throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432 and CI=true: the real-adapter tests must run');
const skip = up ? false : 'PostgreSQL is not reachable on 127.0.0.1:5432';
if (skip) console.warn(`skipping PostgreSQL catalog tests: ${skip}`);

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

catalogContract(
  'postgres',
  async () => {
    const schema = `vought_test_${randomBytes(4).toString('hex')}`;
    const catalog = await PostgresCatalog.open({ url: URL, schema });
    return {
      catalog,
      cleanup: async () => {
        await catalog.close();
        await dropSchema(schema);
      },
    };
  },
  { skip },
);

describe.skipIf(Boolean(skip))('PostgresCatalog specifics', () => {
  it('migrates once when several nodes open the same database at once', async () => {
    const schema = `vought_test_${randomBytes(4).toString('hex')}`;
    const catalogs = await Promise.all(Array.from({ length: 4 }, () => PostgresCatalog.open({ url: URL, schema })));
    const { rows } = await catalogs[0]!.pool.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    for (const c of catalogs) await c.close();
    await dropSchema(schema);
  });

  it('fails to open fast with catalog.unavailable when nothing listens', async () => {
    const error = await PostgresCatalog.open({ url: 'postgres://postgres@127.0.0.1:1/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).code).toBe('catalog.unavailable');
  });
});
