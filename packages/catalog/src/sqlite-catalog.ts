// The embedded default: the catalog core (catalog-core.ts) on SQLite through better-sqlite3, in
// WAL mode (readers never wait for the writer), with FTS5 for search. This file only opens the
// connection; the driver is sqlite-driver.ts, the SQL spelling sqlite-dialect.ts.
import type Database from 'better-sqlite3';
import { CatalogCore } from './catalog-core.ts';
import { migrate } from './migration-runner.ts';
import { indexTokens } from './search-query.ts';
import { openFailure, SqlSession } from './sql-session.ts';
import { sqliteDialect } from './sqlite-dialect.ts';
import { connectSqlite, SqliteDriver } from './sqlite-driver.ts';

export interface SqliteCatalogOptions {
  /** Database file (its folder is created); `:memory:` for a throwaway catalog. */
  path: string;
  /** Clock for created/updated times (tests). */
  now?: () => Date;
  /** How long a writer waits for another process's write lock before catalog.unavailable. */
  busyTimeoutMs?: number;
}

export class SqliteCatalog extends CatalogCore {
  declare readonly kind: 'sqlite';

  private constructor(
    session: SqlSession,
    /** The connection (tests and operators inspect pragmas through it). */
    readonly db: Database.Database,
  ) {
    super(session);
  }

  static async open(options: SqliteCatalogOptions): Promise<SqliteCatalog> {
    const where = `SQLite at ${options.path}`;
    let db: Database.Database;
    try {
      db = connectSqlite({
        path: options.path,
        ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
        // Migration 3 reindexes search text with the same TypeScript the catalog writes it with.
        functions: { vought_index_tokens: (text) => indexTokens(String(text ?? '')) },
      });
    } catch (error) {
      throw openFailure(error, where, { path: options.path });
    }
    // SQLite has no server clock worth preferring: the process's clock unless one is passed.
    const session = new SqlSession(new SqliteDriver(db), sqliteDialect, options.now ?? (() => new Date()));
    try {
      await migrate(session);
    } catch (error) {
      throw await session.openFailure(error, where, { path: options.path });
    }
    return new SqliteCatalog(session, db);
  }
}
