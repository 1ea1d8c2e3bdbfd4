// The one error type of the catalog: callers branch on `code`, never on the message.
import { CodedError } from '@vought/errors';

/**
 * - `catalog.not_found`: no such row.
 * - `catalog.conflict`: the id exists, or the row moved past `expectedVersion`.
 * - `catalog.invalid`: a value the catalog refuses (enum, length, cursor, limit), or a database
 *   newer than this code.
 * - `catalog.unavailable`: the database cannot be reached or opened (retry later; readiness fails).
 * - `catalog.internal`: the database rejected a statement of ours (a bug, never the caller's fault).
 */
export type CatalogErrorCode = 'catalog.not_found' | 'catalog.conflict' | 'catalog.invalid' | 'catalog.unavailable' | 'catalog.internal';

export class CatalogError extends CodedError<CatalogErrorCode, { id?: string; [k: string]: unknown }> {}
