// What the auth tests share: the AuthError a promise rejects with, and JWT segment encoding.
import { expect } from 'vitest';
import { AuthError } from '../src/auth-error.ts';

/** The AuthError a promise rejects with (fails the test if it resolves or throws anything else). */
export async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => {
      throw new Error('expected an AuthError, but it resolved');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

/** A JSON value as a JWT segment (base64url). */
export const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
