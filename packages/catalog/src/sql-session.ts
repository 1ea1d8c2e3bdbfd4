// One engine as the core uses it: statements in spans, their errors as CatalogErrors (by the
// dialect's reading of the engine's codes), transactions, and the catalog's clock.
import { withSpan } from '@vought/observability';
import { CatalogError } from './catalog-error.ts';
import { type SqlDialect, type SqlDriver, type SqlExecutor, SqlParams, type SqlResult } from './sql-dialect.ts';

/** What an INSERT's duplicate key or dangling reference means, in the caller's words. */
export interface InsertErrors {
  exists: () => CatalogError;
  missingReference?: () => CatalogError;
}

export class SqlSession {
  constructor(
    readonly driver: SqlDriver,
    readonly dialect: SqlDialect,
    /** Clock for created/updated times; without one the database's clock decides. */
    private readonly clock: (() => Date) | undefined,
  ) {}

  params(): SqlParams {
    return new SqlParams(this.dialect);
  }

  /** The current time as SQL: the clock's, bound as a parameter, else the database's. */
  now(p: SqlParams): string {
    return `COALESCE(${p.add(this.clock ? this.clock().toISOString() : null, 'timestamp')}, ${this.dialect.now})`;
  }

  /** One statement in a span, its errors as CatalogErrors; on `tx` inside a transaction. */
  async query<Row>(op: string, sql: string, p: SqlParams | null, on: SqlExecutor = this.driver): Promise<SqlResult<Row>> {
    return withSpan(`db.${op}`, { 'db.system': this.dialect.system, 'db.operation': op }, async () => {
      try {
        return await on.query<Row>(sql, p?.values ?? []);
      } catch (error) {
        throw this.error(error);
      }
    });
  }

  /** An INSERT ... RETURNING of one row, a duplicate key or missing reference named by `errors`. */
  async insert<Row>(sql: string, p: SqlParams, errors: InsertErrors): Promise<Row> {
    try {
      const { rows } = await this.query<Row>('insert', sql, p);
      return rows[0] as Row;
    } catch (error) {
      const failure = error instanceof CatalogError && error.cause !== undefined ? this.dialect.failure(error.cause) : null;
      if (failure === 'duplicate') throw errors.exists();
      if (failure === 'missing_reference' && errors.missingReference) throw errors.missingReference();
      throw error;
    }
  }

  /** `fn` in one transaction (see SqlDriver.transaction), its errors as CatalogErrors. */
  async transaction<T>(op: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return withSpan(`db.${op}`, { 'db.system': this.dialect.system, 'db.operation': op }, async () => {
      try {
        return await this.driver.transaction(fn);
      } catch (error) {
        throw this.error(error);
      }
    });
  }

  /**
   * An engine error as a CatalogError: a duplicate key is a conflict, a refused value invalid, a
   * lost or busy database unavailable, and the rest a statement of ours it rejected (a bug).
   */
  error(error: unknown): CatalogError {
    if (error instanceof CatalogError) return error;
    const message = (error as Error).message;
    const engine = this.dialect.label;
    switch (this.dialect.failure(error)) {
      case 'duplicate':
        return new CatalogError('catalog.conflict', 'already exists', {}, { cause: error });
      case 'missing_reference':
      case 'invalid':
        return new CatalogError('catalog.invalid', `${engine} refused a value: ${message}`, {}, { cause: error });
      case 'unavailable':
        return new CatalogError('catalog.unavailable', `${engine} failed: ${message}`, {}, { cause: error });
      default:
        return new CatalogError('catalog.internal', `${engine} rejected a statement: ${message}`, {}, { cause: error });
    }
  }

  /**
   * A failure while opening: a CatalogError that is not an outage (a newer schema, a bug) as it
   * is, anything else catalog.unavailable naming `where`. Closes the driver.
   */
  async openFailure(error: unknown, where: string, detail: Record<string, unknown> = {}): Promise<CatalogError> {
    await this.driver.close().catch(() => {});
    return openFailure(this.error(error), where, detail);
  }
}

/** See SqlSession.openFailure; for failures before a session exists (the connection itself). */
export function openFailure(error: unknown, where: string, detail: Record<string, unknown> = {}): CatalogError {
  if (error instanceof CatalogError && error.code !== 'catalog.unavailable') return error;
  const cause = error instanceof CatalogError && error.cause !== undefined ? error.cause : error;
  return new CatalogError('catalog.unavailable', `cannot open ${where}: ${(cause as Error).message}`, detail, { cause });
}
