// Cursor pagination in the stable order (created_at DESC, id DESC): a cursor is the last row's
// (created_at, id), opaque to clients (base64url JSON). Keyset pagination, not OFFSET: a page
// costs the same however deep it is, and rows inserted meanwhile never shift a page (no repeats,
// no gaps). The timestamp must be exactly the catalog's own millisecond ISO form: SQLite compares
// the stored text, so any other spelling of the same instant would page differently there.
import { CatalogError } from './catalog-error.ts';
import { isTimestamp } from './timestamp.ts';

export interface Cursor {
  createdAt: string;
  id: string;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  if (typeof text === 'string' && text.length <= 512 && /^[A-Za-z0-9_-]+$/.test(text)) {
    try {
      const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
      if (Array.isArray(value) && value.length === 2) {
        const [createdAt, id] = value as unknown[];
        if (typeof createdAt === 'string' && isTimestamp(createdAt) && typeof id === 'string' && ID.test(id)) return { createdAt, id };
      }
    } catch {
      // not JSON: fall through to the one error below
    }
  }
  throw new CatalogError('catalog.invalid', 'cursor is not one this API gave out', { parameter: 'cursor' });
}
