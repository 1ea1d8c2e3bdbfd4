// What the shared catalog core needs from an engine, and nothing more: a driver that runs
// statements and transactions, and a dialect for the few things the engines spell differently
// (placeholders and value encoding, how columns read back, full-text and array predicates, the
// clock, row locking, error codes, migration locking). Validation, paging, row mapping, error
// wrapping, related(), the webhook store and the migration guard are written once against these
// interfaces (catalog-core.ts, webhook-store.ts, migration-runner.ts).
import type { Migration } from './migrations.ts';
import type { SearchTerms } from './search-query.ts';

export interface SqlResult<Row> {
  rows: Row[];
  /** Rows the statement changed, or returned when it returns rows. */
  rowCount: number;
}

export interface SqlExecutor {
  /** One statement; `params` bind the dialect's placeholders (see SqlParams). */
  query<Row>(sql: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  /** Several statements without parameters (migrations, BEGIN/COMMIT). */
  script(sql: string): Promise<void>;
}

/**
 * Async on both engines: pg is, and better-sqlite3's synchronous calls are wrapped so that one
 * core serves both.
 */
export interface SqlDriver extends SqlExecutor {
  /**
   * `fn` in one transaction, on an executor that no other caller's statements reach; rolled
   * back when `fn` throws. `fn` must use `tx` only: a statement on the driver itself would wait
   * for the transaction (SQLite) or run outside it (PostgreSQL).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** BEGIN, `fn`, COMMIT; ROLLBACK when anything fails (both drivers open transactions this way). */
export async function inTransaction<T>(tx: SqlExecutor, begin: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  await tx.script(begin);
  try {
    const result = await fn(tx);
    await tx.script('COMMIT');
    return result;
  } catch (error) {
    // A failed COMMIT or statement may already have ended the transaction: nothing to undo then.
    await tx.script('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** How a parameter is encoded and typed: arrays and JSON are stored differently per engine. */
export type ParamType = 'text' | 'timestamp' | 'json' | 'text[]';

/** How a column reads back: the row mappers (catalog-rows.ts) see the same text on both engines. */
export type ColumnType = 'timestamp' | 'json' | 'text[]';

/** What a failed statement means to the catalog, decided from the engine's own error codes. */
export type DbFailure = 'duplicate' | 'missing_reference' | 'invalid' | 'unavailable' | 'internal';

export interface SqlDialect {
  readonly kind: 'sqlite' | 'postgres';
  /** The engine's name for messages ("PostgreSQL failed: ..."). */
  readonly label: string;
  /** The span attribute db.system (OpenTelemetry's name for the engine). */
  readonly system: string;
  /** The `index`-th placeholder (1-based, may be repeated in one statement) and the value to bind. */
  bind(index: number, value: unknown, type?: ParamType): { sql: string; value: unknown };
  /** An expression reading `column` as the mappers expect: timestamps as catalog text, arrays and JSON as JSON text. */
  column(column: string, type: ColumnType): string;
  /** The database's clock, as a catalog timestamp (used when no clock is passed). */
  readonly now: string;
  /** `at`, or a millisecond after the timestamp `column` if that is later (updates stay ordered when the clock stands still). */
  later(column: string, at: string): string;
  /** The timestamp `at` plus `ms` milliseconds (both SQL expressions). */
  plus(at: string, ms: string): string;
  /** Videos whose search tokens hold every term, the last as a prefix (search-query.ts). */
  matchesAll(search: SearchTerms, p: SqlParams): string;
  /** Videos whose search tokens hold any of `words`, whole. */
  matchesAny(words: readonly string[], p: SqlParams): string;
  /** Rows whose array column (`tags` of videos, `events` of webhooks) holds one of `values`. */
  holdsAny(column: 'tags' | 'events', values: readonly string[], p: SqlParams): string;
  /** Rows whose text `column` is one of `values` (one statement text whatever their number). */
  isIn(column: string, values: readonly string[], p: SqlParams): string;
  /** Appended to the SELECT that picks deliveries to claim: concurrent claimers take disjoint rows. */
  readonly claimLock: string;
  failure(error: unknown): DbFailure;
  /** The type of schema_migrations.applied_at (as released: TEXT on SQLite, TIMESTAMPTZ on PostgreSQL). */
  readonly migrationTimestampType: string;
  /** The engine's text of a migration. */
  migrationSql(migration: Migration): string;
  /** Run first in the migration transaction: serialises openers that the transaction alone does not. */
  lockMigrations(tx: SqlExecutor): Promise<void>;
}

/** The parameters of one statement, in placeholder order. */
export class SqlParams {
  readonly values: unknown[] = [];
  constructor(private readonly dialect: Pick<SqlDialect, 'bind'>) {}

  /** Binds `value`; returns its placeholder, which may be used more than once in the statement. */
  add(value: unknown, type?: ParamType): string {
    const bound = this.dialect.bind(this.values.length + 1, value, type);
    this.values.push(bound.value);
    return bound.sql;
  }
}
