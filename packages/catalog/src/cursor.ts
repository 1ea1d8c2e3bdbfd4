// Cursor pagination in the stable order (created_at DESC, id DESC): a cursor is the last row's
// (created_at, id), opaque to clients (base64url JSON).
import { CatalogError } from './index.ts';

export interface Cursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(createdAt))) return { createdAt, id };
  } catch {
    // fall through
  }
  throw new CatalogError('catalog.invalid', 'cursor is not one this API gave out', { parameter: 'cursor' });
}
