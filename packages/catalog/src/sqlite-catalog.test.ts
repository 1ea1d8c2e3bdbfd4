import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogContract } from './catalog.contract.ts';
import { type Catalog, CatalogError, openCatalog } from './index.ts';
import { latestVersion, migrations } from './migrations.ts';
import { indexTokens } from './search-query.ts';
import { SqliteCatalog } from './sqlite-catalog.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-catalog-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

catalogContract('sqlite', async ({ now }) => {
  const file = path.join(await tempDir(), 'catalog.sqlite');
  let catalog: Catalog = await SqliteCatalog.open({ path: file, now });
  return {
    catalog,
    reopen: async () => {
      await catalog.close();
      catalog = await SqliteCatalog.open({ path: file, now });
      return catalog;
    },
    cleanup: () => catalog.close(),
  };
});

async function openError(options: Parameters<typeof SqliteCatalog.open>[0]): Promise<CatalogError> {
  const error = await SqliteCatalog.open(options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CatalogError);
  return error as CatalogError;
}

describe('SqliteCatalog', () => {
  it('uses WAL and foreign keys, and refuses a database from a newer vought', async () => {
    const file = path.join(await tempDir(), 'nested', 'dir', 'c.sqlite');
    const first = await SqliteCatalog.open({ path: file });
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(first.db.pragma('foreign_keys', { simple: true })).toBe(1);
    await first.close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'x')").run();
    raw.close();
    const error = await openError({ path: file });
    expect(error.code).toBe('catalog.invalid');
    expect(error.message).toContain(`schema version 999, newer than this vought knows (${latestVersion})`);
  });

  it('upgrades a version-2 database: old rows become searchable the new way', async () => {
    const file = path.join(await tempDir(), 'old.sqlite');
    const raw = new Database(file);
    raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const m of migrations.filter((m) => m.version <= 2)) {
      raw.exec(m.sqlite);
      raw.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, '2026-01-01T00:00:00.000Z');
    }
    // What version 2 stored: plain words in search_text.
    raw
      .prepare(
        `INSERT INTO videos (id, owner, title, description, tags, visibility, status, renditions, version, search_text, created_at, updated_at)
         VALUES ('old', 'o', 'Café हिन्दी', '', '["x"]', 'public', 'ready', '[]', 1, 'café हिन्दी x', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
      )
      .run();
    raw.close();
    const catalog = await SqliteCatalog.open({ path: file });
    expect(await catalog.schemaVersion()).toBe(latestVersion);
    for (const q of ['café', 'हि', 'x'])
      expect(
        (await catalog.listVideos({ q })).items.map((v) => v.id),
        q,
      ).toEqual(['old']);
    expect((await catalog.listVideos({ q: 'cafe' })).items).toEqual([]);
    await catalog.close();
  });

  it('upgrades a version-3 database: existing rows read no encryption policy, and take one', async () => {
    const file = path.join(await tempDir(), 'v3.sqlite');
    const raw = new Database(file);
    raw.function('vought_index_tokens', (text: unknown) => indexTokens(String(text ?? '')));
    raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const m of migrations.filter((m) => m.version <= 3)) {
      raw.exec(m.sqlite);
      raw.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, '2026-01-01T00:00:00.000Z');
    }
    raw
      .prepare(
        `INSERT INTO videos (id, owner, title, description, tags, visibility, status, renditions, version, search_text, created_at, updated_at)
         VALUES ('old', 'o', 'Old', '', '[]', 'public', 'ready', '[{"type":"video","id":"v1"}]', 3, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
      )
      .run(indexTokens('old'));
    raw.close();
    const catalog = await SqliteCatalog.open({ path: file });
    try {
      expect(await catalog.schemaVersion()).toBe(latestVersion);
      const old = await catalog.getVideo('old');
      expect(old).toMatchObject({ id: 'old', version: 3, encryption: null, renditions: [{ type: 'video', id: 'v1' }] });
      expect((await catalog.listVideos({ q: 'old' })).items.map((v) => v.encryption)).toEqual([null]);
      const updated = await catalog.updateVideo('old', { encryption: { schemes: ['cenc'], rotationSegments: 5 } }, { expectedVersion: 3 });
      expect(updated.encryption).toEqual({ schemes: ['cenc'], rotationSegments: 5 });
      expect(await catalog.getVideo('old')).toEqual(updated);
    } finally {
      await catalog.close();
    }
  });

  it('is what openCatalog opens when no database URL is configured', async () => {
    const file = path.join(await tempDir(), 'data', 'catalog.sqlite');
    const catalog = await openCatalog({ databaseUrl: undefined, sqlitePath: file });
    expect(catalog.kind).toBe('sqlite');
    await catalog.createVideo({ id: 'v', owner: 'o', title: 't' });
    await catalog.close();
    await fs.access(file);
  });

  it('reports a file that is not a database as catalog.unavailable, and calls after close too', async () => {
    const file = path.join(await tempDir(), 'junk.sqlite');
    await fs.writeFile(file, 'this is not a database, just text long enough to have a header page'.repeat(100));
    expect((await openError({ path: file })).code).toBe('catalog.unavailable');
    const catalog = await SqliteCatalog.open({ path: ':memory:' });
    await catalog.close();
    await expect(catalog.ping()).rejects.toMatchObject({ code: 'catalog.unavailable' });
  });
});
