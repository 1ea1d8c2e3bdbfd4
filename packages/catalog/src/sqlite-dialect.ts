// SQLite's spelling of what the core needs (sql-dialect.ts). Columns are plain TEXT: timestamps
// in the catalog's form (timestamp.ts), arrays and JSON as JSON text, so they read back as
// stored. Search goes through the FTS5 table videos_fts over the search tokens (search-query.ts).
import type { Migration } from './migrations.ts';
import { fts5Any, fts5Match, type SearchTerms } from './search-query.ts';
import type { DbFailure, ParamType, SqlDialect, SqlParams } from './sql-dialect.ts';
import { parameterName } from './sqlite-driver.ts';

/** strftime pattern of the catalog's timestamp form: SQLite's %f is seconds with milliseconds. */
const ISO = `'%Y-%m-%dT%H:%M:%fZ'`;

/** Error codes that mean the file cannot be used now (locked, unreadable, full): an outage. */
const OUTAGE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB)/;

export const sqliteDialect: SqlDialect = {
  kind: 'sqlite',
  label: 'SQLite',
  system: 'sqlite',
  now: `strftime(${ISO}, 'now')`,
  // A transaction holds SQLite's one write lock: there is nothing to skip.
  claimLock: '',
  migrationTimestampType: 'TEXT',

  // Arrays and JSON are bound as JSON text; everything else as is.
  bind: (index: number, value: unknown, type?: ParamType) => ({
    sql: `@${parameterName(index)}`,
    value: type === 'json' || type === 'text[]' ? JSON.stringify(value) : value,
  }),

  // Stored as the mappers read them.
  column: (column: string) => column,

  // Text compares in time order in the catalog's form; strftime's modifiers add whole milliseconds.
  later: (column: string, at: string) => `MAX(${at}, strftime(${ISO}, ${column}, '+0.001 seconds'))`,
  plus: (at: string, ms: string) => `strftime(${ISO}, ${at}, '+' || (${ms} / 1000.0) || ' seconds')`,

  matchesAll: (search: SearchTerms, p: SqlParams) => ftsMatch(fts5Match(search), p),
  matchesAny: (words: readonly string[], p: SqlParams) => ftsMatch(fts5Any(words), p),

  holdsAny: (column: 'tags' | 'events', values: readonly string[], p: SqlParams) =>
    `EXISTS (SELECT 1 FROM json_each(${column}) AS item WHERE item.value IN (SELECT value FROM json_each(${p.add(values, 'json')})))`,

  // json_each of one bound list: one statement text however long the list (the cache stays small).
  isIn: (column: string, values: readonly string[], p: SqlParams) => `${column} IN (SELECT value FROM json_each(${p.add(values, 'json')}))`,

  failure,

  migrationSql: (migration: Migration) => migration.sqlite,
  // BEGIN IMMEDIATE already took the write lock: two processes opening one file migrate in turn.
  lockMigrations: async () => {},
};

function ftsMatch(expression: string, p: SqlParams): string {
  return `videos.rowid IN (SELECT rowid FROM videos_fts WHERE videos_fts MATCH ${p.add(expression)})`;
}

/** better-sqlite3 errors by SQLite's extended result codes; "not open" is a closed catalog. */
function failure(error: unknown): DbFailure {
  const code = (error as { code?: unknown }).code;
  const text = typeof code === 'string' ? code : '';
  if (text === 'SQLITE_CONSTRAINT_PRIMARYKEY' || text === 'SQLITE_CONSTRAINT_UNIQUE') return 'duplicate';
  if (text === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'missing_reference';
  if (OUTAGE.test(text) || /not open/.test((error as Error).message)) return 'unavailable';
  return 'internal';
}
