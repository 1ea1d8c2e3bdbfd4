import { CodedError } from '@vought/errors';

export type KeyErrorCode = 'keys.invalid' | 'keys.not_found' | 'keys.unsupported';

/** The one error class of @vought/keys. */
export class KeyError extends CodedError<KeyErrorCode> {}
