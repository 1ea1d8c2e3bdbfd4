// PostgreSQL through pg: the catalog core (catalog-core.ts) for many origins. This file only
// builds the pool; the driver is postgres-driver.ts, the SQL spelling postgres-dialect.ts. Times
// are the server's clock (timestamptz(3)) unless a clock is passed, and are read back in the
// catalog's one timestamp form (timestamp.ts).
import pg from 'pg';
import { CatalogCore } from './catalog-core.ts';
import { CatalogError } from './catalog-error.ts';
import { migrate } from './migration-runner.ts';
import { PostgresDialect } from './postgres-dialect.ts';
import { PostgresDriver } from './postgres-driver.ts';
import { SqlSession } from './sql-session.ts';

export interface PostgresCatalogOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Schema for every table, created if missing (tests use a fresh one per run). Default: the connection's search_path. */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
  /** Clock for created/updated times (tests); default: the database server's now(). */
  now?: () => Date;
  /** Statement timeout, so a stuck query fails instead of holding a request forever (default 10 s). */
  statementTimeoutMs?: number;
  /** Called with errors of idle pooled connections (which never crash the process). */
  onPoolError?: (error: Error) => void;
}

/** A schema name is spliced into SQL (search_path, CREATE SCHEMA): only plain identifiers. */
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresCatalog extends CatalogCore {
  declare readonly kind: 'postgres';

  private constructor(
    session: SqlSession,
    /** The pool (tests and operators query through it). */
    readonly pool: pg.Pool,
  ) {
    super(session);
  }

  static async open(options: PostgresCatalogOptions): Promise<PostgresCatalog> {
    const schema = options.schema;
    if (schema !== undefined && !SCHEMA.test(schema))
      throw new CatalogError('catalog.invalid', `schema must match ${SCHEMA.source}, got ${JSON.stringify(schema)}`, {
        parameter: 'schema',
      });
    const timeout = Math.max(0, Math.trunc(options.statementTimeoutMs ?? 10_000));
    const settings = [`-c statement_timeout=${timeout}`, ...(schema ? [`-c search_path=${schema}`] : [])];
    let pool: pg.Pool;
    try {
      pool = new pg.Pool({
        connectionString: options.url,
        max: options.max ?? 10,
        connectionTimeoutMillis: 3000,
        options: settings.join(' '),
      });
    } catch (error) {
      throw new CatalogError('catalog.invalid', `bad PostgreSQL URL: ${(error as Error).message}`, { parameter: 'url' }, { cause: error });
    }
    // An idle client losing its connection (server restart, network) emits 'error' on the pool:
    // unhandled, that would crash the process. It is not fatal: the next query gets a fresh
    // connection or fails with catalog.unavailable, and readiness reports it.
    pool.on('error', (error) => options.onPoolError?.(error));
    const session = new SqlSession(new PostgresDriver(pool), new PostgresDialect(schema), options.now);
    try {
      await migrate(session);
    } catch (error) {
      throw await session.openFailure(error, 'PostgreSQL');
    }
    return new PostgresCatalog(session, pool);
  }
}
