// One table from error codes to HTTP statuses (STYLE habit 5; nginx-vod-module maps its one status
// enum in one place too), typed by the union of every code: a new code without a status does not
// compile. Every error body has the same shape: { error: { code, message, ...detail } }.
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AllErrorCodes } from './error-codes.ts';

const statusByCode: Record<AllErrorCodes, ContentfulStatusCode> = {
  'http.bad_request': 400,
  'http.not_found': 404,
  'http.method_not_allowed': 405,
  'http.payload_too_large': 413,
  'http.unsupported_media_type': 415,
  'http.rate_limited': 429,
  'http.internal': 500,
  'video.not_ready': 409,
  'video.gone': 410,
  // the video's encryption policy refuses clear delivery or the scheme asked for
  'video.encryption_required': 403,
  // tus checksum extension: 460 Checksum Mismatch.
  'upload.checksum_mismatch': 460 as ContentfulStatusCode,
  'webhook.target_refused': 400,
  'edge.upstream_unavailable': 502,
  'edge.too_many_requests': 429,
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
  'catalog.internal': 500,
  'manifest.invalid_query': 400,
  'manifest.no_match': 400,
  'manifest.not_found': 404,
  // media.* while serving means a stored file or index is damaged: the server's fault, not the client's.
  'media.truncated': 500,
  'media.malformed': 500,
  'media.unsupported': 500,
  'media.limit': 500,
  'auth.missing': 401,
  'auth.invalid': 401,
  'auth.expired': 401,
  'auth.forbidden': 403,
  // the identity provider or its JWKS cannot be reached: not the caller's fault, retry
  'auth.unavailable': 503,
  'auth.invalid_argument': 400,
  'auth.misconfigured': 500,
  'config.invalid': 500,
  // keys.not_found: the key provider has no key for that key period (a URL naming a period that does not exist);
  // keys.invalid / keys.unsupported while serving: a secret or CPIX document the server was given is wrong
  'keys.not_found': 404,
  'keys.invalid': 500,
  'keys.unsupported': 500,
  // the key server (CPIX) did not answer in time: retry
  'keys.unavailable': 503,
};

/** Codes whose detail may be shown to clients (the rest could name internal keys or hosts). */
const publicDetail = new Set<string>([
  'http.bad_request',
  'manifest.invalid_query',
  'manifest.no_match',
  'catalog.invalid',
  'video.not_ready',
  'catalog.conflict',
  'video.encryption_required',
]);

interface Coded {
  code: string;
  message: string;
  detail?: Record<string, unknown>;
}

function isCoded(error: unknown): error is Coded {
  return typeof error === 'object' && error !== null && typeof (error as Coded).code === 'string' && (error as Coded).code.includes('.');
}

/** The status of a code; a code outside the table (a foreign library's) is the server's fault. */
export function statusOf(code: string): ContentfulStatusCode {
  return Object.hasOwn(statusByCode, code) ? statusByCode[code as AllErrorCodes] : 500;
}

export interface ErrorBody {
  status: ContentfulStatusCode;
  body: { error: Record<string, unknown> };
  headers: Record<string, string>;
}

/**
 * The one answer to an error, whatever serves it (origin's Hono app and plain Node delivery
 * handler, the edge): the status of its code, `{ error: { code, message } }` (plus the detail for
 * codes whose detail is public), no-store, Retry-After on outages, WWW-Authenticate on 401.
 */
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
    if (status === 502 || status === 503) headers['retry-after'] = '5';
    if (status === 401) headers['www-authenticate'] = 'Bearer';
    return { status, body: { error: body }, headers };
  }
  log?.error({ err: (error as Error)?.stack ?? String(error) }, 'unexpected error');
  return {
    status: 500,
    body: { error: { code: 'http.internal' satisfies AllErrorCodes, message: 'internal error' } },
    headers: { 'cache-control': 'no-store' },
  };
}

function pickScalars(detail: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(detail)) {
    if (k === 'code' || k === 'message') continue;
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  }
  return out;
}
