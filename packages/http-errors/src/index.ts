export type {
  AllErrorCodes,
  ApiErrorCode,
  EdgeErrorCode,
  InternalErrorCode,
  UploadErrorCode,
  WebhookErrorCode,
} from './error-codes.ts';
export { type ErrorBody, errorBody, statusOf } from './http-status.ts';
