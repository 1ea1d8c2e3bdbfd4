import { CodedError } from '@vought/errors';

export type EncodeErrorCode =
  | 'encode.unreadable'
  | 'encode.unsupported_container'
  | 'encode.no_streams'
  | 'encode.over_limit'
  | 'encode.over_budget'
  | 'encode.ffmpeg_failed'
  | 'encode.aborted'
  | 'encode.invalid_output';

/** The one error class of the encoder. `permanent`: retrying cannot help (bad input). */
export class EncodeError extends CodedError<EncodeErrorCode> {
  constructor(
    code: EncodeErrorCode,
    message: string,
    readonly permanent: boolean,
    detail: Record<string, unknown> = {},
  ) {
    super(code, message, detail);
  }
}

/**
 * Why an aborted signal stopped the work: the job's own time budget aborts with the EncodeError
 * that says so (permanent); anything else (a stopping consumer, a caller) is a retryable abort.
 */
export function abortError(signal: AbortSignal): EncodeError {
  return signal.reason instanceof EncodeError ? signal.reason : new EncodeError('encode.aborted', 'encode aborted', false);
}
