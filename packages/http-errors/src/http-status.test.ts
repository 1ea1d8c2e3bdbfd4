import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { errorBody, statusOf } from './http-status.ts';

describe('statusOf', () => {
  it('maps codes to statuses, and anything else to 500', () => {
    expect(statusOf('storage.not_found')).toBe(404);
    expect(statusOf('auth.unavailable')).toBe(503);
    expect(statusOf('upload.checksum_mismatch')).toBe(460);
    expect(statusOf('edge.upstream_unavailable')).toBe(502);
    expect(statusOf('media.malformed')).toBe(500);
    expect(statusOf('nobody.knows')).toBe(500);
    expect(statusOf('constructor')).toBe(500);
  });
});

describe('errorBody', () => {
  it('answers a coded error with its status, code, message and public detail only', () => {
    const bad = errorBody({ code: 'http.bad_request', message: 'q: too long', detail: { parameter: 'q', nested: {} } });
    expect(bad).toEqual({
      status: 400,
      body: { error: { code: 'http.bad_request', message: 'q: too long', parameter: 'q' } },
      headers: { 'cache-control': 'no-store' },
    });
    const hidden = errorBody({ code: 'storage.not_found', message: 'no object', detail: { key: 'videos/x/source' } });
    expect(hidden.body).toEqual({ error: { code: 'storage.not_found', message: 'no object' } });
  });

  it('adds Retry-After on outages and WWW-Authenticate on 401', () => {
    expect(errorBody({ code: 'auth.unavailable', message: 'jwks down' }).headers).toEqual({
      'cache-control': 'no-store',
      'retry-after': '5',
    });
    expect(errorBody({ code: 'edge.upstream_unavailable', message: 'none' }).headers['retry-after']).toBe('5');
    expect(errorBody({ code: 'auth.invalid', message: 'bad' }).headers['www-authenticate']).toBe('Bearer');
  });

  it('hides unexpected errors behind http.internal and logs them', () => {
    const logged: object[] = [];
    const answer = errorBody(new TypeError('oops'), { error: (obj) => logged.push(obj) });
    expect(answer).toMatchObject({ status: 500, body: { error: { code: 'http.internal', message: 'internal error' } } });
    expect(logged).toHaveLength(1);
  });

  it('maps Hono HTTP exceptions by status', () => {
    expect(errorBody(new HTTPException(413, { message: 'big' })).body.error.code).toBe('http.payload_too_large');
  });
});
