// Applies the pending migrations (migrations.ts) at open, all in one transaction, each recorded in
// schema_migrations. Two openers of one database migrate in turn (SQLite: BEGIN IMMEDIATE takes
// the write lock first; PostgreSQL: an advisory lock, see the dialects), and the second finds
// nothing left to do. A database newer than this code refuses to open rather than guess.
import { CatalogError } from './catalog-error.ts';
import { latestVersion, migrations } from './migrations.ts';
import type { SqlSession } from './sql-session.ts';

export async function migrate(session: SqlSession): Promise<void> {
  const d = session.dialect;
  await session.transaction('migrate', async (tx) => {
    await d.lockMigrations(tx);
    await tx.script(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ${d.migrationTimestampType} NOT NULL)`,
    );
    const { rows } = await session.query<{ v: number | null }>('select', 'SELECT MAX(version) AS v FROM schema_migrations', null, tx);
    const current = Number(rows[0]?.v ?? 0);
    if (current > latestVersion) {
      throw new CatalogError(
        'catalog.invalid',
        `the catalog database is at schema version ${current}, newer than this vought knows (${latestVersion}): upgrade vought, or restore a matching backup`,
        { version: current, latestVersion },
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await tx.script(d.migrationSql(migration));
      const p = session.params();
      await session.query(
        'insert',
        `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${p.add(migration.version)}, ${p.add(migration.name)}, ${d.now})`,
        p,
        tx,
      );
    }
  });
}

/** The version the database is at. */
export async function schemaVersion(session: SqlSession): Promise<number> {
  const { rows } = await session.query<{ v: number | null }>('select', 'SELECT MAX(version) AS v FROM schema_migrations', null);
  return Number(rows[0]?.v ?? 0);
}
