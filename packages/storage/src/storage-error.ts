import { CodedError } from '@vought/errors';

export type StorageErrorCode =
  | 'storage.not_found'
  | 'storage.invalid_key'
  | 'storage.range_not_satisfiable'
  | 'storage.unavailable'
  | 'storage.precondition_failed';

/** The one error class of this package: a code the HTTP layer maps to a status, and the key. */
export class StorageError extends CodedError<StorageErrorCode, { key?: string; [k: string]: unknown }> {}
