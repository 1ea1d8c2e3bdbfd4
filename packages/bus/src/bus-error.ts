import { CodedError } from '@vought/errors';

export type BusErrorCode = 'bus.unavailable' | 'bus.invalid_message' | 'bus.closed';

/** The one coded error class of this package: a code the HTTP layer maps to a status, and the subject. */
export class BusError extends CodedError<BusErrorCode, { subject?: string; [k: string]: unknown }> {}

/** Thrown by a job handler: the job is dead-lettered at once (bad input never heals). */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}
