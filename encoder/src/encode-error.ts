export type EncodeErrorCode =
  | 'encode.unreadable'
  | 'encode.no_streams'
  | 'encode.ffmpeg_failed'
  | 'encode.aborted'
  | 'encode.invalid_output';

/** The one error class of the encoder. `permanent`: retrying cannot help (bad input). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(
    readonly code: EncodeErrorCode,
    message: string,
    readonly permanent: boolean,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
