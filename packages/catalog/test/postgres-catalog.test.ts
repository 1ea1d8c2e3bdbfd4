// The PostgreSQL catalog against the real server on 127.0.0.1:5432, each run in fresh random
// schemas that are dropped afterwards; and the cross-engine test: SQLite and PostgreSQL given the
// same videos and the same clock must give the very same answers.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { skipUnlessServer } from '@vought/observability/test/required-services';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { allPages, catalogContract, loadSearchFixture, searchQueries, TestClock } from '../src/catalog.contract.ts';
import { type Catalog, CatalogError } from '../src/index.ts';
import { latestVersion, migrations } from '../src/migrations.ts';
import { PostgresCatalog } from '../src/postgres-catalog.ts';
import { SqliteCatalog } from '../src/sqlite-catalog.ts';

const URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const skip = await skipUnlessServer(5432, 'PostgreSQL', 'PostgreSQL catalog tests');

const schemas: string[] = [];
function newSchema(): string {
  const schema = `vought_test_${randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  if (skip) return;
  await admin(async (client) => {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
});

catalogContract(
  'postgres',
  async ({ now }) => {
    const schema = newSchema();
    let catalog: Catalog = await PostgresCatalog.open({ url: URL, schema, now, max: 4 });
    return {
      catalog,
      reopen: async () => {
        await catalog.close();
        catalog = await PostgresCatalog.open({ url: URL, schema, now, max: 4 });
        return catalog;
      },
      cleanup: () => catalog.close(),
    };
  },
  { skip },
);

describe.skipIf(Boolean(skip))('PostgresCatalog', { timeout: 30_000 }, () => {
  it('answers every search query and related() exactly as SQLite does', async () => {
    const clock = new TestClock();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-catalog-'));
    const sqlite = await SqliteCatalog.open({ path: path.join(dir, 'c.sqlite'), now: clock.now });
    const postgres = await PostgresCatalog.open({ url: URL, schema: newSchema(), now: clock.now, max: 2 });
    try {
      const start = clock.time;
      const a = await loadSearchFixture(sqlite, clock);
      clock.time = start;
      const b = await loadSearchFixture(postgres, clock);
      expect(b).toEqual(a);
      for (const catalog of [sqlite, postgres])
        for (const [i, video] of a.entries()) if (i % 2) await catalog.updateVideo(video.id, { status: 'ready' });
      let nonEmpty = 0;
      for (const q of searchQueries) {
        const fromSqlite = await allPages(sqlite, { q, limit: 7 });
        expect(await allPages(postgres, { q, limit: 7 }), `query ${JSON.stringify(q)}`).toEqual(fromSqlite);
        if (fromSqlite.length && fromSqlite.length < a.length) nonEmpty++;
      }
      expect(nonEmpty).toBeGreaterThan(searchQueries.length / 2);
      for (const video of a) {
        const fromSqlite = await sqlite.related(video.id, 20);
        expect(await postgres.related(video.id, 20), `related to ${video.id}`).toEqual(fromSqlite);
      }
    } finally {
      await sqlite.close();
      await postgres.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('migrates once when several nodes open the same database at once', async () => {
    const schema = newSchema();
    const catalogs = await Promise.all(Array.from({ length: 4 }, () => PostgresCatalog.open({ url: URL, schema, max: 1 })));
    try {
      const { rows } = await (catalogs[0] as PostgresCatalog).pool.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r: { version: number }) => r.version)).toEqual(migrations.map((m) => m.version));
    } finally {
      for (const c of catalogs) await c.close();
    }
  });

  it('hands each due delivery to one of several concurrent claimers', async () => {
    const catalog = await PostgresCatalog.open({ url: URL, schema: newSchema(), max: 4 });
    try {
      await catalog.webhooks.createWebhook({ id: 'h', owner: 'o', url: 'https://example.com/', secret: 's', events: ['*'] });
      for (let i = 0; i < 30; i++)
        await catalog.webhooks.enqueueDelivery({ id: `d${String(i).padStart(2, '0')}`, webhookId: 'h', event: { i } });
      const claims = await Promise.all(Array.from({ length: 4 }, () => catalog.webhooks.claimDeliveries({ limit: 10, leaseMs: 60_000 })));
      const ids = claims.flat().map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(30);
    } finally {
      await catalog.close();
    }
  });

  it('uses the server clock by default, in the same timestamp form', async () => {
    const catalog = await PostgresCatalog.open({ url: URL, schema: newSchema(), max: 1 });
    try {
      const video = await catalog.createVideo({ id: 'v', owner: 'o', title: 't' });
      expect(video.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const updated = await catalog.updateVideo('v', { title: 'u' });
      expect(updated.updatedAt > video.updatedAt).toBe(true);
      expect(await catalog.getVideo('v')).toEqual(updated);
    } finally {
      await catalog.close();
    }
  });

  it('upgrades a version-2 database and refuses one from a newer vought', async () => {
    const schema = newSchema();
    await admin(async (client) => {
      await client.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}`);
      await client.query(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
      );
      for (const m of migrations.filter((m) => m.version <= 2)) {
        await client.query(m.postgres);
        await client.query('INSERT INTO schema_migrations VALUES ($1, $2, now())', [m.version, m.name]);
      }
      await client.query(
        `INSERT INTO videos (id, owner, title, tags, visibility, status, renditions, search_text, created_at, updated_at)
         VALUES ('old', 'o', 'Café हिन्दी', '{x}', 'public', 'ready', '[{"type":"video","id":"v1"}]', 'café हिन्दी x', now(), now())`,
      );
    });
    const catalog = await PostgresCatalog.open({ url: URL, schema, max: 1 });
    try {
      expect(await catalog.schemaVersion()).toBe(latestVersion);
      for (const q of ['café', 'हि', 'x'])
        expect(
          (await catalog.listVideos({ q })).items.map((v) => v.id),
          q,
        ).toEqual(['old']);
      expect((await catalog.getVideo('old')).renditions).toEqual([{ type: 'video', id: 'v1' }]);
    } finally {
      await catalog.close();
    }
    await admin((client) => client.query(`INSERT INTO ${schema}.schema_migrations VALUES (999, 'future', now())`));
    const error = await PostgresCatalog.open({ url: URL, schema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).code).toBe('catalog.invalid');
    expect((error as CatalogError).message).toContain('newer than this vought knows');
  });

  it('upgrades a version-3 database: existing rows read no encryption policy, and take one', async () => {
    const schema = newSchema();
    await admin(async (client) => {
      await client.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}`);
      await client.query(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
      );
      for (const m of migrations.filter((m) => m.version <= 3)) {
        await client.query(m.postgres);
        await client.query('INSERT INTO schema_migrations VALUES ($1, $2, now())', [m.version, m.name]);
      }
      await client.query(
        `INSERT INTO videos (id, owner, title, tags, visibility, status, renditions, version, search_text, created_at, updated_at)
         VALUES ('old', 'o', 'Old', '{}', 'public', 'ready', '[{"type":"video","id":"v1"}]', 3, '', now(), now())`,
      );
    });
    const catalog = await PostgresCatalog.open({ url: URL, schema, max: 1 });
    try {
      expect(await catalog.schemaVersion()).toBe(latestVersion);
      expect(await catalog.getVideo('old')).toMatchObject({
        id: 'old',
        version: 3,
        encryption: null,
        renditions: [{ type: 'video', id: 'v1' }],
      });
      const updated = await catalog.updateVideo('old', { encryption: { schemes: ['cbcs', 'cenc'] } }, { expectedVersion: 3 });
      expect(JSON.stringify(updated.encryption)).toBe('{"schemes":["cbcs","cenc"]}');
      expect(await catalog.getVideo('old')).toEqual(updated);
      // Cleared: SQL NULL again, not a JSON null.
      await catalog.updateVideo('old', { encryption: null });
      const { rows } = await catalog.pool.query<{ unset: boolean }>('SELECT encryption IS NULL AS unset FROM videos WHERE id = $1', [
        'old',
      ]);
      expect(rows).toEqual([{ unset: true }]);
      expect((await catalog.getVideo('old')).encryption).toBeNull();
    } finally {
      await catalog.close();
    }
  });

  it('fails with catalog.unavailable when nothing listens, and refuses a bad schema name', async () => {
    const error = await PostgresCatalog.open({ url: 'postgres://postgres@127.0.0.1:1/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).code).toBe('catalog.unavailable');
    const bad = await PostgresCatalog.open({ url: URL, schema: 'x; DROP TABLE y' }).catch((e: unknown) => e);
    expect((bad as CatalogError).code).toBe('catalog.invalid');
  });

  it('answers catalog.unavailable after the pool is closed, without crashing', async () => {
    const catalog = await PostgresCatalog.open({ url: URL, schema: newSchema(), max: 1 });
    await catalog.close();
    await expect(catalog.ping()).rejects.toMatchObject({ code: 'catalog.unavailable' });
  });
});
