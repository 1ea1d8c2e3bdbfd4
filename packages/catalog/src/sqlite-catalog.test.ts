import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { catalogContract } from './catalog.contract.ts';
import type { CatalogError } from './index.ts';
import { latestVersion } from './migrations.ts';
import { SqliteCatalog } from './sqlite-catalog.ts';

catalogContract('sqlite', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-catalog-'));
  const catalog = await SqliteCatalog.open({ path: path.join(dir, 'catalog.sqlite') });
  return {
    catalog,
    cleanup: async () => {
      await catalog.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteCatalog migrations', () => {
  it('uses WAL, applies migrations once, keeps data across reopen, and refuses a newer schema', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-catalog-'));
    const file = path.join(dir, 'c.sqlite');
    const first = await SqliteCatalog.open({ path: file });
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    await first.createVideo({ id: 'keep', owner: 'o', title: 'kept' });
    await first.close();
    const second = await SqliteCatalog.open({ path: file });
    expect((await second.getVideo('keep')).title).toBe('kept');
    expect(second.db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: latestVersion });
    await second.close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'x')").run();
    raw.close();
    const error = await SqliteCatalog.open({ path: file }).catch((e: unknown) => e);
    expect((error as CatalogError).code).toBe('catalog.invalid');
    expect((error as CatalogError).message).toContain('newer');
    await fs.rm(dir, { recursive: true, force: true });
  });
});
