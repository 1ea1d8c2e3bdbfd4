// PostgreSQL's spelling of what the core needs (sql-dialect.ts). Parameters are $n with explicit
// casts where the type cannot be inferred; tags are text[] (GIN), webhook events jsonb,
// renditions and delivery events json (read back as written). Search uses the generated
// tsvector over the search tokens (search-query.ts) with the `simple` configuration.
import type { Migration } from './migrations.ts';
import { type SearchTerms, tsQuery, tsQueryAny } from './search-query.ts';
import type { ColumnType, DbFailure, ParamType, SqlDialect, SqlExecutor, SqlParams } from './sql-dialect.ts';

const CASTS: Record<ParamType, string> = { text: '::text', timestamp: '::timestamptz', json: '::json', 'text[]': '::text[]' };

export class PostgresDialect implements SqlDialect {
  readonly kind = 'postgres' as const;
  readonly label = 'PostgreSQL';
  readonly system = 'postgresql';
  readonly now = 'now()';
  // Concurrent claimers skip the rows another has picked instead of queueing on their locks.
  readonly claimLock = ' FOR UPDATE SKIP LOCKED';
  readonly migrationTimestampType = 'TIMESTAMPTZ';

  /** `schema`: where the tables live (created by the first migration run); none: the search_path's. */
  constructor(private readonly schema: string | undefined) {}

  bind(index: number, value: unknown, type?: ParamType): { sql: string; value: unknown } {
    const json = type === 'json' ? JSON.stringify(value) : value;
    return { sql: `$${index}${type ? CASTS[type] : ''}`, value: json };
  }

  column(column: string, type: ColumnType): string {
    switch (type) {
      case 'timestamp':
        // Milliseconds, UTC, `Z`: exactly what Date.prototype.toISOString writes (and SQLite stores).
        return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
      case 'text[]':
        return `array_to_json(${column})::text`;
      default:
        return `${column}::text`;
    }
  }

  later(column: string, at: string): string {
    return `GREATEST(${at}, ${column} + interval '1 millisecond')`;
  }

  plus(at: string, ms: string): string {
    return `${at} + ${ms} * interval '1 millisecond'`;
  }

  matchesAll(search: SearchTerms, p: SqlParams): string {
    return `search_vector @@ to_tsquery('simple', ${p.add(tsQuery(search))})`;
  }

  matchesAny(words: readonly string[], p: SqlParams): string {
    return `search_vector @@ to_tsquery('simple', ${p.add(tsQueryAny(words))})`;
  }

  /** tags: text[] overlap (GIN-indexed); events: jsonb "any of these strings is an element". */
  holdsAny(column: 'tags' | 'events', values: readonly string[], p: SqlParams): string {
    return `${column} ${column === 'tags' ? '&&' : '?|'} ${p.add(values, 'text[]')}`;
  }

  isIn(column: string, values: readonly string[], p: SqlParams): string {
    return `${column} = ANY(${p.add(values, 'text[]')})`;
  }

  /**
   * By SQLSTATE class (PostgreSQL manual, Appendix A): 23505 unique violation, 23503 foreign key
   * violation; 22 data exception / 23 integrity → invalid; 08 connection, 53 resources, 57
   * operator intervention (shutdown, statement timeout), 58 system, 40 serialization, XX and
   * network errors (no SQLSTATE) → unavailable; the rest (42 syntax, undefined table...) is ours.
   */
  failure(error: unknown): DbFailure {
    const code = (error as { code?: unknown }).code;
    if (code === '23505') return 'duplicate';
    if (code === '23503') return 'missing_reference';
    if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || /^(08|53|57|58|40|XX)/.test(code)) return 'unavailable';
    return /^(22|23)/.test(code) ? 'invalid' : 'internal';
  }

  migrationSql(migration: Migration): string {
    return migration.postgres;
  }

  /**
   * Several origins starting at once: one migrates, the others wait here (the lock is held to the
   * end of the transaction), then find nothing to do. The key is per schema, so test runs in
   * their own schemas do not queue behind each other.
   */
  async lockMigrations(tx: SqlExecutor): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vought-catalog-migrations:${this.schema ?? ''}`]);
    if (this.schema) await tx.script(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
  }
}
