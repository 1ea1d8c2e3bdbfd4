import { CodedError } from '@vought/errors';

export type CacheErrorCode = 'cache.unavailable' | 'cache.too_large';

/** The one error class of this package: a code the HTTP layer maps to a status, and the key. */
export class CacheError extends CodedError<CacheErrorCode, { key?: string; [k: string]: unknown }> {}
