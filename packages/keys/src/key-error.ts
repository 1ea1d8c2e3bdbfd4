import { CodedError } from '@vought/errors';

/** keys.unavailable: the key server did not answer (retry); the others: what the provider was given is wrong or lacks the key. */
export type KeyErrorCode = 'keys.invalid' | 'keys.not_found' | 'keys.unsupported' | 'keys.unavailable';

/** The one error class of @vought/keys. */
export class KeyError extends CodedError<KeyErrorCode> {}
