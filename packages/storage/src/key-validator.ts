// Object keys come from URLs and requests: one check, shared by every adapter, so that no input
// can reach outside the store's root (fs) or address something it should not (s3).
import { StorageError } from './storage-error.ts';

const MAX_KEY_BYTES = 1024; // S3's limit; the fs store keeps the same so the twins agree.
const SEGMENT = /^[A-Za-z0-9._=+@,-]+$/;

/** Returns the key unchanged when it is safe; throws storage.invalid_key naming what is wrong. */
export function validateKey(key: string): string {
  const fail = (why: string): never => {
    throw new StorageError('storage.invalid_key', `invalid object key: ${why}`, { key: key.slice(0, 200) });
  };
  if (typeof key !== 'string' || key.length === 0) fail('empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) fail(`longer than ${MAX_KEY_BYTES} bytes`);
  if (key.startsWith('/')) fail('absolute');
  if (key.endsWith('/')) fail('ends with /');
  for (const segment of key.split('/')) {
    if (segment === '') fail('empty path segment (//)');
    if (segment === '.' || segment === '..') fail(`'${segment}' segment`);
    if (!SEGMENT.test(segment)) fail(`'${segment.slice(0, 40)}' has characters outside A-Z a-z 0-9 . _ = + @ , -`);
    if (segment.endsWith('.tmp-vought')) fail('reserved suffix');
  }
  return key;
}

/** A prefix for list/deletePrefix: empty, or safe segments ending with '/', or a safe partial key. */
export function validatePrefix(prefix: string, options: { allowEmpty: boolean }): string {
  if (prefix === '') {
    if (options.allowEmpty) return prefix;
    throw new StorageError('storage.invalid_key', 'invalid prefix: empty', { key: prefix });
  }
  validateKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}
