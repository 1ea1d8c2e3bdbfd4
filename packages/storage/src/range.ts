import { StorageError } from './storage-error.ts';
import type { ByteRange } from './storage-types.ts';

/**
 * Clamps an inclusive range to an object of `size` bytes as HTTP does (RFC 9110 §14.1.2): an end
 * beyond the object is cut to the last byte; a start beyond it cannot be satisfied.
 */
export function resolveRange(range: ByteRange, size: number, key: string): ByteRange {
  if (
    !Number.isSafeInteger(range.start) ||
    !Number.isSafeInteger(range.end) ||
    range.start < 0 ||
    range.end < range.start ||
    range.start >= size
  ) {
    throw new StorageError('storage.range_not_satisfiable', `range ${range.start}-${range.end} outside ${size} bytes`, { key, size });
  }
  return { start: range.start, end: Math.min(range.end, size - 1) };
}
