// One table from error codes to HTTP statuses (STYLE habit 5; nginx-vod-module maps its one status
// enum in one place too). Every error body has the same shape: { error: { code, message, ...detail } }.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

interface CodedError {
  code: string;
  message: string;
  detail?: Record<string, unknown>;
}

const statusByCode: Record<string, ContentfulStatusCode> = {
  'http.bad_request': 400,
  'http.not_found': 404,
  'http.method_not_allowed': 405,
  'http.payload_too_large': 413,
  'http.unsupported_media_type': 415,
  'http.rate_limited': 429,
  'video.not_ready': 409,
  'video.gone': 410,
  'storage.not_found': 404,
  'storage.invalid_key': 400,
  'storage.range_not_satisfiable': 416,
  'storage.precondition_failed': 409,
  'storage.unavailable': 503,
  'cache.unavailable': 503,
  'cache.too_large': 500,
  'bus.unavailable': 503,
  'bus.closed': 503,
  'bus.invalid_message': 400,
  'catalog.not_found': 404,
  'catalog.conflict': 409,
  'catalog.invalid': 400,
  'catalog.unavailable': 503,
  'manifest.invalid_query': 400,
  'manifest.no_match': 400,
  'auth.missing': 401,
  'auth.invalid': 401,
  'auth.expired': 401,
  'auth.forbidden': 403,
  // the identity provider or its JWKS cannot be reached: not the caller's fault, retry
  'auth.unavailable': 503,
  'auth.invalid_argument': 400,
  'auth.misconfigured': 500,
  'config.invalid': 500,
  // tus checksum extension: 460 Checksum Mismatch.
  'upload.checksum_mismatch': 460 as ContentfulStatusCode,
};

/** Codes whose detail may be shown to clients (the rest could name internal keys or hosts). */
const publicDetail = new Set([
  'http.bad_request',
  'manifest.invalid_query',
  'manifest.no_match',
  'catalog.invalid',
  'video.not_ready',
  'catalog.conflict',
]);

function isCoded(error: unknown): error is CodedError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as CodedError).code === 'string' &&
    (error as CodedError).code.includes('.')
  );
}

export function statusOf(code: string): ContentfulStatusCode {
  const exact = statusByCode[code];
  if (exact) return exact;
  // media.* while serving means a stored file or index is damaged: the server's fault, not the client's.
  return 500;
}

export interface ErrorBody {
  status: ContentfulStatusCode;
  body: { error: Record<string, unknown> };
  headers: Record<string, string>;
}

/** The one answer to an error, whatever serves it (Hono or the plain Node delivery handler). */
export function errorBody(error: unknown, log?: { error(obj: object, msg: string): void }): ErrorBody {
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const code =
      status === 413 ? 'http.payload_too_large' : status === 404 ? 'http.not_found' : status === 401 ? 'auth.missing' : 'http.bad_request';
    return { status, body: { error: { code, message: error.message || 'request rejected' } }, headers: {} };
  }
  if (isCoded(error)) {
    const status = statusOf(error.code);
    const body: Record<string, unknown> = { code: error.code, message: error.message };
    if (publicDetail.has(error.code) && error.detail) Object.assign(body, pickScalars(error.detail));
    if (status >= 500) log?.error({ err: error.message, code: error.code, detail: error.detail }, 'request failed');
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (status === 503) headers['retry-after'] = '5';
    if (status === 401) headers['www-authenticate'] = 'Bearer';
    return { status, body: { error: body }, headers };
  }
  log?.error({ err: (error as Error)?.stack ?? String(error) }, 'unexpected error');
  return { status: 500, body: { error: { code: 'http.internal', message: 'internal error' } }, headers: { 'cache-control': 'no-store' } };
}

export function errorResponse(error: unknown, c: Context): Response {
  const { status, body, headers } = errorBody(error, c.get('log'));
  return c.json(body, status, headers);
}

function pickScalars(detail: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(detail)) {
    if (k === 'code' || k === 'message') continue;
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  }
  return out;
}
