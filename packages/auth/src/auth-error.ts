import { CodedError } from '@vought/errors';

/**
 * What went wrong, for the HTTP layer's one table of statuses:
 * - `auth.missing` (401): no credentials where some are needed.
 * - `auth.invalid` (401): a token that is malformed, forged, for someone else, or not valid yet.
 * - `auth.expired` (401): a token past its `exp` (plus the clock tolerance).
 * - `auth.forbidden` (403): a valid identity that may not do this (no vought role, or a denied action).
 * - `auth.unavailable` (503): the identity provider (discovery, JWKS) or a JWKS URL cannot be reached.
 * - `auth.misconfigured` (500): settings or key files that cannot work (bad discovery document,
 *   unreadable or damaged key directory, out-of-range options).
 * - `auth.invalid_argument` (400 or 500): a caller passed a value this package refuses to sign
 *   (unknown role, bad video id, ttl out of range).
 */
export type AuthErrorCode =
  | 'auth.missing'
  | 'auth.invalid'
  | 'auth.expired'
  | 'auth.forbidden'
  | 'auth.unavailable'
  | 'auth.misconfigured'
  | 'auth.invalid_argument';

/** The one error class of @vought/auth. Messages say what is wrong without echoing secrets or tokens. */
export class AuthError extends CodedError<AuthErrorCode> {}
