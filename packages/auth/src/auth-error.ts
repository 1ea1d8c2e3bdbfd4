export type AuthErrorCode = 'auth.missing' | 'auth.invalid' | 'auth.expired' | 'auth.forbidden';

/** The one error class of @vought/auth. Messages say what is wrong without echoing secrets. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
