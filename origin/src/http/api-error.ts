// Errors raised by the origin's own HTTP layer (bad query, wrong state), with the same shape as the
// packages' errors: a code and a detail. Mapped to a status in @vought/http-errors, nowhere else.
import { CodedError } from '@vought/errors';
import type { ApiErrorCode } from '@vought/http-errors';

export type { ApiErrorCode } from '@vought/http-errors';

export class ApiError extends CodedError<ApiErrorCode> {}
