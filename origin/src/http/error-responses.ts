// The origin's error answers: the table of statuses and the one error body live in
// @vought/http-errors (the edge answers with the same); this adds the Hono response.
import { errorBody } from '@vought/http-errors';
import type { Context } from 'hono';

export { type AllErrorCodes, type ErrorBody, errorBody, statusOf } from '@vought/http-errors';

export function errorResponse(error: unknown, c: Context): Response {
  const { status, body, headers } = errorBody(error, c.get('log'));
  return c.json(body, status, headers);
}
