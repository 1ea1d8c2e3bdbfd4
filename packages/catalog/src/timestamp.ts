// The catalog's one timestamp form: ISO 8601 UTC with milliseconds (`2026-01-02T03:04:05.678Z`),
// what Date.prototype.toISOString writes. SQLite stores and compares it as text, so every
// timestamp that reaches a query must be in exactly this form; PostgreSQL stores timestamptz(3)
// and hands it back in the same form (see PostgresDialect.column in postgres-dialect.ts).
import { CatalogError } from './catalog-error.ts';

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** True for a real instant in the catalog's form (2024-02-30 matches the pattern but is none). */
export function isTimestamp(text: unknown): text is string {
  if (typeof text !== 'string' || !TIMESTAMP.test(text)) return false;
  const time = Date.parse(text);
  return !Number.isNaN(time) && new Date(time).toISOString() === text;
}

export function checkTimestamp(text: unknown, field: string): string {
  if (!isTimestamp(text))
    throw new CatalogError('catalog.invalid', `${field} must be an ISO 8601 UTC timestamp with milliseconds`, { parameter: field });
  return text;
}
