// Errors raised by the origin's own HTTP layer (bad query, wrong state), with the same shape as the
// packages' errors: a code and a detail. Mapped to a status in error-responses.ts, nowhere else.
export type ApiErrorCode =
  | 'http.bad_request'
  | 'http.not_found'
  | 'http.method_not_allowed'
  | 'http.payload_too_large'
  | 'http.unsupported_media_type'
  | 'http.rate_limited'
  | 'video.not_ready'
  | 'video.gone';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
